// ab bins (Zhang et al. 2016): the fitted bins and prior against a per-pixel count, the smoothing and rebalancing
// weights against their formulas, hard and soft encoding against brute force over every bin, the decodings against
// explicit sums, JSON. (The loss against soft targets: tests/train/test_loss.cpp.)
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/ab_bins.h"
#include "tint/data/cifar10.h"
#include "tint/data/lab.h"

namespace tint::data {
namespace ab_bins_test {
namespace {
using test::error_of;

// Lab (N, 3, H, W) with L = 50 and the given ab.
torch::Tensor lab_from_ab(const torch::Tensor& ab) {
  return torch::cat({torch::full({ab.size(0), 1, ab.size(2), ab.size(3)}, 50.0, ab.options()), ab}, 1);
}

// Random ab (N, 2, H, W) in [-range, range].
torch::Tensor random_ab(int64_t n, int64_t h, int64_t w, double range, uint64_t seed) {
  torch::manual_seed(seed);
  return (torch::rand({n, 2, h, w}, torch::kFloat32) * 2 - 1) * range;
}

// Bins fitted to the colours of random images: a realistic, irregular set of kept bins.
AbBins random_image_bins() {
  torch::manual_seed(1);
  auto images = torch::randint(0, 256, {8, 3, 16, 16}, torch::kUInt8);
  return AbBins::fit(rgb_to_lab(images));
}

// Per-pixel (a, b) of an (N, 2, H, W) tensor, in float64, in (n, y, x) order.
std::vector<std::pair<double, double>> pixel_list(const torch::Tensor& ab) {
  auto flat = ab.to(torch::kFloat64).permute({0, 2, 3, 1}).reshape({-1, 2}).contiguous();
  auto f = flat.accessor<double, 2>();
  std::vector<std::pair<double, double>> out;
  for (int64_t i = 0; i < flat.size(0); ++i) out.emplace_back(f[i][0], f[i][1]);
  return out;
}

// Bin ids ordered by squared distance from (a, b), computed one bin at a time.
std::vector<std::pair<double, int64_t>> bins_by_distance(const AbBins& bins, double a, double b) {
  auto c64 = bins.centres().to(torch::kFloat64);
  auto c = c64.accessor<double, 2>();
  std::vector<std::pair<double, int64_t>> d;
  for (int64_t q = 0; q < bins.size(); ++q) {
    d.emplace_back((a - c[q][0]) * (a - c[q][0]) + (b - c[q][1]) * (b - c[q][1]), q);
  }
  std::sort(d.begin(), d.end());
  return d;
}

TEST(AbBins, FitKeepsTheOccurringCellsWithTheirFrequencies) {
  auto lab = rgb_to_lab(torch::randint(0, 256, {6, 3, 9, 11}, torch::kUInt8));
  auto bins = AbBins::fit(lab);
  // The count, pixel by pixel: cell (nearbyint(a / 10), nearbyint(b / 10)), halves to even like torch::round.
  std::map<std::pair<long, long>, double> count;
  const auto pixels = pixel_list(lab.slice(1, 1, 3));
  for (auto [a, b] : pixels) count[{std::lrint(a / 10.0), std::lrint(b / 10.0)}] += 1;
  ASSERT_EQ(bins.size(), int64_t(count.size()));
  EXPECT_EQ(bins.pixels(), int64_t(pixels.size()));
  int64_t q = 0;
  for (const auto& [cell, n] : count) {  // std::map order: by a, then b
    EXPECT_EQ(bins.centres()[q][0].item<float>(), 10.0f * cell.first) << "bin " << q;
    EXPECT_EQ(bins.centres()[q][1].item<float>(), 10.0f * cell.second) << "bin " << q;
    EXPECT_NEAR(bins.prior()[q].item<double>(), n / double(pixels.size()), 1e-15) << "bin " << q;
    ++q;
  }
  // The image order does not matter.
  auto shuffled = AbBins::fit(lab.flip({0}));
  EXPECT_TRUE(shuffled.centres().equal(bins.centres()));
  EXPECT_TRUE(shuffled.prior().equal(bins.prior()));
}

TEST(AbBins, FitOnTheEmbeddedHorses) {
  auto images = read_cifar10(test::embedded_data_dir(), Split::Train).images.slice(0, 0, 500);
  auto bins = AbBins::fit(rgb_to_lab(images));
  // In-gamut sRGB chroma spans about 19 x 21 cells of 10; natural photos of one class use a part of them.
  EXPECT_GT(bins.size(), 50);
  EXPECT_LT(bins.size(), 313);
  EXPECT_NEAR(bins.prior().sum().item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(bins.smoothed_prior().sum().item<double>(), 1.0, 1e-12);
  // Smoothing lowers the peak (the bins near grey) by spreading it to its neighbours.
  EXPECT_LT(bins.smoothed_prior().max().item<double>(), bins.prior().max().item<double>());
}

TEST(AbBins, SmoothedPriorIsTheGaussianConvolutionOverTheKeptBins) {
  auto bins = random_image_bins();
  const int64_t q = bins.size();
  auto c64 = bins.centres().to(torch::kFloat64);
  auto p64 = bins.prior();
  auto c = c64.accessor<double, 2>();
  auto p = p64.accessor<double, 1>();
  std::vector<double> want(q, 0.0);
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < q; ++j) {
      const double d2 = (c[i][0] - c[j][0]) * (c[i][0] - c[j][0]) + (c[i][1] - c[j][1]) * (c[i][1] - c[j][1]);
      want[i] += p[j] * std::exp(-d2 / (2 * 5.0 * 5.0));
    }
  const double total = std::accumulate(want.begin(), want.end(), 0.0);
  for (int64_t i = 0; i < q; ++i) EXPECT_NEAR(bins.smoothed_prior()[i].item<double>(), want[i] / total, 1e-12);
  // sigma 0: no smoothing.
  AbBins plain(bins.centres(), bins.prior(), {10.0, 0.0});
  EXPECT_TRUE(plain.smoothed_prior().equal(plain.prior()));
}

TEST(AbBins, RebalancingWeightsFollowTheFormulaWithExpectationOne) {
  auto bins = random_image_bins();
  const double q = double(bins.size());
  auto ps = bins.smoothed_prior();
  // lambda = 0: no rebalancing.
  EXPECT_LT(test::max_error(bins.rebalancing_weights(0.0), torch::ones({bins.size()})), 1e-6);
  // lambda = 1: the inverse prior, 1 / (Q p~).
  EXPECT_LT(test::max_error(bins.rebalancing_weights(1.0), 1.0 / (q * ps)),
            1e-5 * (1.0 / (q * ps)).max().item<double>());
  for (double lambda : {0.0, 0.25, 0.5, 1.0}) {
    auto w = bins.rebalancing_weights(lambda).to(torch::kFloat64);
    auto unnormalised = 1.0 / (lambda * ps + (1 - lambda) / q);
    auto want = unnormalised / (ps * unnormalised).sum();
    EXPECT_LT(test::max_error(w, want), 1e-6 * want.max().item<double>()) << "lambda " << lambda;
    EXPECT_NEAR((ps * w).sum().item<double>(), 1.0, 1e-6) << "lambda " << lambda;
  }
  // Rare colours weigh more.
  auto w = bins.rebalancing_weights(0.5);
  EXPECT_EQ(w.argmax().item<int64_t>(), ps.argmin().item<int64_t>());
  // Pixel weights look up each pixel's bin.
  auto ids = torch::tensor({0, 3, 3, 1}, torch::kInt64).view({1, 2, 2});
  auto pw = bins.pixel_weights(ids, 0.5);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(pw.flatten()[k].item<float>(), w[ids.flatten()[k]].item<float>());
  EXPECT_NE(error_of([&] { bins.rebalancing_weights(1.5); }).find("outside [0, 1]"), std::string::npos);
}

TEST(AbBins, EncodeIsTheNearestKeptBinByBruteForce) {
  auto bins = random_image_bins();
  // Inside and around the kept region, well outside it, and far away (beyond the neighbour table).
  auto ab = random_ab(3, 20, 20, 130.0, 2);
  auto far = random_ab(3, 20, 20, 900.0, 3);
  ab.slice(2, 0, 2).copy_(far.slice(2, 0, 2));  // two rows of every image far out
  auto ids = bins.encode(ab);
  ASSERT_EQ(ids.sizes(), (std::vector<int64_t>{3, 20, 20}));
  ASSERT_EQ(ids.scalar_type(), torch::kInt64);
  auto got = ids.flatten();
  const auto pixels = pixel_list(ab);
  int mismatches = 0;
  for (size_t i = 0; i < pixels.size(); ++i) {
    mismatches +=
        got[int64_t(i)].item<int64_t>() != bins_by_distance(bins, pixels[i].first, pixels[i].second)[0].second;
  }
  EXPECT_EQ(mismatches, 0);
  // A kept centre encodes to itself, and centres_of inverts encode on centres.
  auto centres = bins.centres().t().reshape({1, 2, 1, -1});
  EXPECT_TRUE(bins.encode(centres).flatten().equal(torch::arange(bins.size())));
  EXPECT_TRUE(bins.centres_of(bins.encode(centres)).equal(centres));
}

TEST(AbBins, SoftTargetsAreTheFiveNearestWithGaussianWeights) {
  auto bins = random_image_bins();
  auto ab = random_ab(2, 15, 12, 120.0, 4);
  ab[0][0][0][0] = 700.0f;  // a pixel far from every bin still gets finite weights
  auto soft = bins.soft_encode(ab);
  ASSERT_EQ(soft.ids.sizes(), (std::vector<int64_t>{2, 5, 15, 12}));
  ASSERT_EQ(soft.weights.sizes(), soft.ids.sizes());
  auto ids = soft.ids.permute({0, 2, 3, 1}).reshape({-1, 5});
  auto weights = soft.weights.permute({0, 2, 3, 1}).reshape({-1, 5}).to(torch::kFloat64);
  const auto pixels = pixel_list(ab);
  int mismatches = 0;
  double worst = 0;
  for (size_t i = 0; i < pixels.size(); ++i) {
    const auto order = bins_by_distance(bins, pixels[i].first, pixels[i].second);
    double total = 0;
    for (int k = 0; k < 5; ++k) total += std::exp(-(order[k].first - order[0].first) / 50.0);
    for (int k = 0; k < 5; ++k) {
      mismatches += ids[int64_t(i)][k].item<int64_t>() != order[k].second;
      worst = std::max(worst, std::abs(weights[int64_t(i)][k].item<double>() -
                                       std::exp(-(order[k].first - order[0].first) / 50.0) / total));
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_LT(worst, 1e-6);
  // The first neighbour is the hard target; the dense form sums to 1 per pixel.
  EXPECT_TRUE(soft.ids.select(1, 0).equal(bins.encode(ab)));
  auto dense = soft.to_dense(bins.size());
  EXPECT_LT(test::max_error(dense.sum(1), torch::ones({2, 15, 12})), 1e-6);
  // All Q neighbours is allowed; more is not.
  EXPECT_EQ(bins.soft_encode(ab.slice(0, 0, 1), int(bins.size())).ids.size(1), bins.size());
  EXPECT_NE(error_of([&] { bins.soft_encode(ab, int(bins.size()) + 1); }).find("neighbours"), std::string::npos);
  EXPECT_NE(error_of([&] { bins.soft_encode(ab, 5, 0.0); }).find("sigma"), std::string::npos);
}

TEST(AbBins, DecodingsEqualTheirDefinitions) {
  auto bins = random_image_bins();
  const int64_t q = bins.size();
  torch::manual_seed(7);
  auto logits = torch::randn({2, q, 3, 4}) * 2;
  auto c64 = bins.centres().to(torch::kFloat64);
  // The definitions, pixel by pixel in float64: argmax centre; sum_q softmax(z / T)_q c_q, with the annealed mean
  // written as Zhang does, softmax(log(softmax(z)) / T).
  auto expected = [&](AbDecode mode, double t) {
    auto out = torch::empty({2, 2, 3, 4}, torch::kFloat64);
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t x = 0; x < 4; ++x) {
          auto z = logits.index({n, torch::indexing::Slice(), y, x}).to(torch::kFloat64);
          torch::Tensor ab;
          if (mode == AbDecode::Mode) {
            ab = c64[z.argmax().item<int64_t>()];
          } else {
            auto p = torch::softmax(z, 0);
            if (mode == AbDecode::Annealed) p = torch::softmax(torch::log(p) / t, 0);
            ab = (p.unsqueeze(1) * c64).sum(0);
          }
          out.index_put_({n, torch::indexing::Slice(), y, x}, ab);
        }
    return out;
  };
  EXPECT_LT(test::max_error(bins.decode(logits, {AbDecode::Mode, 0}), expected(AbDecode::Mode, 0)), 1e-12);
  EXPECT_LT(test::max_error(bins.decode(logits, {AbDecode::Mean, 0}), expected(AbDecode::Mean, 0)), 1e-4);
  // Channels-last logits (what the networks give) decode the same.
  const auto nhwc = logits.contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_LT(test::max_error(bins.decode(nhwc, {AbDecode::Mean, 0}), expected(AbDecode::Mean, 0)), 1e-4);
  EXPECT_LT(test::max_error(bins.decode(nhwc, {AbDecode::Annealed, 0.38}), expected(AbDecode::Annealed, 0.38)), 1e-4);
  const auto annealed = bins.decode(logits);  // the default: annealed mean, T = 0.38
  EXPECT_LT(test::max_error(annealed, expected(AbDecode::Annealed, 0.38)), 1e-4);
  // T = 1 is the mean; T -> 0 is the mode.
  EXPECT_LT(test::max_error(bins.decode(logits, {AbDecode::Annealed, 1.0}), bins.decode(logits, {AbDecode::Mean, 0})),
            1e-5);
  EXPECT_LT(test::max_error(bins.decode(logits, {AbDecode::Annealed, 1e-4}), bins.decode(logits, {AbDecode::Mode, 0})),
            1e-3);
  // Between the two, the annealed mean is more saturated than the mean.
  auto chroma = [](const torch::Tensor& ab) { return ab.pow(2).sum(1).sqrt().mean().item<double>(); };
  EXPECT_GT(chroma(annealed), chroma(bins.decode(logits, {AbDecode::Mean, 0})));
  EXPECT_NE(error_of([&] { bins.decode(logits, {AbDecode::Annealed, 0.0}); }).find("temperature"), std::string::npos);
  for (auto mode : {AbDecode::Mode, AbDecode::Mean, AbDecode::Annealed}) {
    EXPECT_EQ(ab_decode_from_string(to_string(mode)), mode);
  }
  EXPECT_NE(error_of([] { ab_decode_from_string("median"); }).find("expected mode, mean or annealed"),
            std::string::npos);
}

TEST(AbBins, RejectsBadInput) {
  auto bins = random_image_bins();
  auto ab = random_ab(1, 2, 2, 50.0, 8);
  ab[0][1][1][1] = std::nanf("");
  EXPECT_NE(error_of([&] { bins.encode(ab); }).find("NaN or infinite"), std::string::npos);
  EXPECT_NE(error_of([&] { AbBins::fit(lab_from_ab(ab)); }).find("NaN or infinite"), std::string::npos);
  EXPECT_NE(error_of([] {
              AbBins::fit(lab_from_ab(torch::full({1, 2, 3, 3}, 12.0)));
            }).find("need at least 2"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              AbBins::fit(lab_from_ab(random_ab(1, 3, 3, 50, 9)), {1.0, 5.0});
            }).find("grid 1"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              AbBins::fit(lab_from_ab(random_ab(1, 3, 3, 50, 9)), {10.0, -1.0});
            }).find("prior sigma"),
            std::string::npos);
  EXPECT_NE(error_of([] { AbBins::fit(lab_from_ab(random_ab(1, 3, 3, 5000, 9))); }).find("expected Lab values"),
            std::string::npos);
  auto centres = torch::tensor({{0.0, 0.0}, {10.0, 0.0}});
  auto prior = torch::tensor({0.5, 0.5}, torch::kFloat64);
  EXPECT_NE(error_of([&] { AbBins(centres + 3, prior); }).find("not on the grid of 10"), std::string::npos);
  EXPECT_NE(error_of([&] { AbBins(centres, prior * 0.5); }).find("sums to 0.5"), std::string::npos);
  EXPECT_NE(error_of([&] {
              AbBins(centres.flip({0}).index({torch::tensor({0, 0})}), prior);
            }).find("same bin"),
            std::string::npos);
}

TEST(AbBinsJson, RoundTripsExactly) {
  test::TempDir tmp;
  auto bins = random_image_bins();
  bins.save(tmp / "ab_bins.json");
  auto back = AbBins::load(tmp / "ab_bins.json");
  EXPECT_TRUE(back.centres().equal(bins.centres()));
  EXPECT_TRUE(back.prior().equal(bins.prior()));
  EXPECT_TRUE(back.smoothed_prior().equal(bins.smoothed_prior()));
  EXPECT_EQ(back.options().grid, 10.0);
  EXPECT_EQ(back.options().prior_sigma, 5.0);
  EXPECT_EQ(back.pixels(), bins.pixels());
  // Only the file itself: the temporary file of the atomic write was renamed into place.
  EXPECT_EQ(test::read_tree(tmp.path()).size(), 1u);
}

TEST(AbBinsJson, RejectsMalformedInputNamingTheSource) {
  using nlohmann::json;
  const json good =
      AbBins(torch::tensor({{0.0, 0.0}, {10.0, -20.0}}), torch::tensor({0.25, 0.75}, torch::kFloat64)).to_json();
  auto msg = [](const json& j) { return error_of([&] { AbBins::from_json(j, "b.json"); }); };
  auto with = [&](const char* key, const json& value) {
    json j = good;
    j[key] = value;
    return j;
  };
  EXPECT_NE(msg(good).find("<no error>"), std::string::npos);
  EXPECT_NE(msg(json::array()).find("b.json: invalid ab bins: expected a JSON object"), std::string::npos);
  EXPECT_NE(msg(with("format", "tint-palette")).find("'format'"), std::string::npos);
  EXPECT_NE(msg(with("version", 2)).find("'version'"), std::string::npos);
  EXPECT_NE(msg(with("grid", "10")).find("missing number 'grid'"), std::string::npos);
  EXPECT_NE(msg(with("grid", 0)).find("grid 0 outside"), std::string::npos);
  EXPECT_NE(msg(with("prior_sigma", -1)).find("prior sigma"), std::string::npos);
  EXPECT_NE(msg(with("centres", 5)).find("missing array 'centres'"), std::string::npos);
  EXPECT_NE(msg(with("centres", {{0, 0}})).find("1 entries"), std::string::npos);
  EXPECT_NE(msg(with("centres", {{0, 0}, {10}})).find("centre 1 is not [a, b]"), std::string::npos);
  EXPECT_NE(msg(with("centres", {{0, 0}, {15, 0}})).find("not on the grid"), std::string::npos);
  EXPECT_NE(msg(with("prior", {1.0})).find("'prior' has 1 entries for 2 centres"), std::string::npos);
  EXPECT_NE(msg(with("prior", {0.0, 1.0})).find("prior of bin 0 is 0"), std::string::npos);
  EXPECT_NE(msg(with("prior", {0.5, "x"})).find("prior 1 is not a number"), std::string::npos);
  EXPECT_NE(msg(with("pixels", -3)).find("'pixels'"), std::string::npos);
  test::TempDir tmp;
  test::write_bytes(tmp / "bad.json", "{ not json");
  EXPECT_NE(error_of([&] { AbBins::load(tmp / "bad.json"); }).find("bad.json: not valid JSON"), std::string::npos);
  test::write_bytes(tmp / "short.json", with("prior", {1.0}).dump());
  EXPECT_NE(error_of([&] { AbBins::load(tmp / "short.json"); }).find("short.json: invalid ab bins"), std::string::npos);
  EXPECT_NE(error_of([&] { AbBins::load(tmp / "missing.json"); }).find("missing.json"), std::string::npos);
}

}  // namespace
}  // namespace ab_bins_test
}  // namespace tint::data
