// Colour targets (train/colour_targets.h): hard targets against a brute-force nearest search, the loss of hard, soft
// and rebalanced targets against direct sums written out here (and the soft loss's gradient against its closed
// form), the predicted ab of every decoding against explicit sums, and the palette's targets against the source's.
#include <array>
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/train/colour_targets.h"
#include "tint/train/config.h"
#include "tint/train/loss.h"

namespace tint::train {
namespace colour_targets_test {
namespace {

// Smooth random images: blocks of colour with noise, so that neighbouring pixels share bins as photos do.
torch::Tensor random_images(int64_t n, int64_t side, uint64_t seed) {
  torch::manual_seed(seed);
  auto blocks = torch::rand({n, 3, 4, 4}) * 255;
  auto up = torch::nn::functional::interpolate(
      blocks,
      torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{side, side}).mode(torch::kNearest));
  return (up + torch::randn({n, 3, side, side}) * 12).clamp(0, 255).round().to(torch::kUInt8);
}

// Per pixel (P, 2) ab of images, float64, in (n, y, x) order.
torch::Tensor ab_rows(const torch::Tensor& images) {
  return data::rgb_to_lab(images).slice(1, 1, 3).to(torch::kFloat64).permute({0, 2, 3, 1}).reshape({-1, 2});
}
// (N, Q, H, W) -> (P, Q) in the same pixel order.
torch::Tensor logit_rows(const torch::Tensor& logits) {
  return logits.to(torch::kFloat64).permute({0, 2, 3, 1}).reshape({-1, logits.size(1)});
}

struct Setup {
  torch::Tensor images, logits;
  data::AbBins bins;
};
Setup setup() {
  Setup s;
  s.images = random_images(3, 8, 5);
  s.bins = data::AbBins::fit(data::rgb_to_lab(random_images(6, 8, 6)));
  torch::manual_seed(7);
  s.logits = torch::randn({3, s.bins.size(), 8, 8}).contiguous(torch::MemoryFormat::ChannelsLast);
  return s;
}

TEST(ColourTargets, HardTargetsAreTheNearestBinByBruteForce) {
  auto s = setup();
  auto targets = ColourTargets::ab_bins(s.bins);
  EXPECT_EQ(targets.size(), s.bins.size());
  auto ids = targets.hard_targets(s.images).flatten();
  auto distances = torch::cdist(ab_rows(s.images), s.bins.centres().to(torch::kFloat64));  // (P, Q)
  auto nearest = distances.argmin(1);
  // Equal, or a tie within rounding (a pixel halfway between two centres).
  auto chosen = distances.gather(1, ids.unsqueeze(1)).squeeze(1);
  auto best = distances.gather(1, nearest.unsqueeze(1)).squeeze(1);
  EXPECT_LT((chosen - best).abs().max().item<double>(), 1e-9);
  EXPECT_GT(ids.eq(nearest).to(torch::kFloat64).mean().item<double>(), 0.99);
}

TEST(ColourTargets, LossesEqualDirectSums) {
  auto s = setup();
  const double sigma = 5.0, lambda = 0.5;
  const auto hard_ids = ColourTargets::ab_bins(s.bins).hard_targets(s.images);
  auto log_p = logit_rows(s.logits).log_softmax(1);  // (P, Q)
  const int64_t q = s.bins.size(), pixels = log_p.size(0);
  // Hard: -log p of the nearest bin.
  auto hard = -log_p.gather(1, hard_ids.flatten().unsqueeze(1)).squeeze(1);
  // Soft: the 5 nearest bins by brute force, Gaussian weights normalised to 1.
  auto d2 = torch::cdist(ab_rows(s.images), s.bins.centres().to(torch::kFloat64)).pow(2);
  auto [near_d2, near_ids] = d2.topk(5, 1, /*largest=*/false);
  auto w = torch::exp(-near_d2 / (2 * sigma * sigma));
  w = w / w.sum(1, true);
  auto soft = -(w * log_p.gather(1, near_ids)).sum(1);
  // Rebalancing: (lambda p~ + (1 - lambda) / Q)^-1, scaled so that its expectation under p~ is 1.
  auto p = s.bins.smoothed_prior();
  auto weight_of_bin = 1.0 / (lambda * p + (1 - lambda) / double(q));
  weight_of_bin = weight_of_bin / (p * weight_of_bin).sum();
  auto pixel_weight = weight_of_bin.index_select(0, hard_ids.flatten());

  struct Case {
    const char* name;
    double sigma, lambda;
    torch::Tensor per_pixel;
  };
  for (const auto& c :
       {Case{"hard", 0, 0, hard}, Case{"soft", sigma, 0, soft}, Case{"hard rebalanced", 0, lambda, hard * pixel_weight},
        Case{"soft rebalanced", sigma, lambda, soft * pixel_weight}}) {
    SCOPED_TRACE(c.name);
    auto targets = ColourTargets::ab_bins(s.bins, c.sigma, c.lambda);
    const double expected = c.per_pixel.mean().item<double>();
    EXPECT_NEAR(targets.loss(s.logits, hard_ids, s.images).item<double>(), expected, 1e-5);
    EXPECT_NEAR(targets.loss(s.logits, hard_ids, s.images, /*sum=*/true).item<double>(), expected * double(pixels),
                1e-5 * double(pixels));
  }
}

// d/dz of mean_p w_p * (-sum_k t_pk log softmax(z_p)_k) = w_p (softmax(z_p) - t_p) / P.
TEST(ColourTargets, SoftRebalancedLossHasTheClosedFormGradient) {
  auto s = setup();
  auto targets = ColourTargets::ab_bins(s.bins, 5.0, 0.5);
  const auto ids = targets.hard_targets(s.images);
  auto logits = s.logits.clone().requires_grad_(true);
  targets.loss(logits, ids, s.images).backward();
  const auto soft = s.bins.soft_encode(data::rgb_to_lab(s.images).slice(1, 1, 3), 5, 5.0).to_dense(s.bins.size());
  const auto w = s.bins.pixel_weights(ids, 0.5).unsqueeze(1);  // (N, 1, H, W)
  const auto expected = w * (torch::softmax(s.logits, 1) - soft) / double(ids.numel());
  EXPECT_LT(test::max_error(logits.grad(), expected), 1e-7);
}

TEST(ColourTargets, DecodingsEqualExplicitSums) {
  auto s = setup();
  auto targets = ColourTargets::ab_bins(s.bins);
  auto rows = logit_rows(s.logits);
  auto centres = s.bins.centres().to(torch::kFloat64);
  auto as_image = [&](const torch::Tensor& ab_rows) { return ab_rows.view({3, 8, 8, 2}).permute({0, 3, 1, 2}); };
  auto mode = as_image(centres.index_select(0, rows.argmax(1)));
  auto mean = as_image(torch::mm(torch::softmax(rows, 1), centres));
  auto annealed = as_image(torch::mm(torch::softmax(rows / 0.38, 1), centres));
  EXPECT_LT(test::max_error(targets.predicted_ab(s.logits, {data::AbDecode::Mode, 0.38}), mode), 1e-6);
  EXPECT_LT(test::max_error(targets.predicted_ab(s.logits, {data::AbDecode::Mean, 0.38}), mean), 1e-4);
  EXPECT_LT(test::max_error(targets.predicted_ab(s.logits, {data::AbDecode::Annealed, 0.38}), annealed), 1e-4);
  // The picture: that ab on the given lightness.
  auto lightness = data::rgb_to_lab(s.images).slice(1, 0, 1);
  auto rgb = targets.predicted_rgb(s.logits, lightness, {data::AbDecode::Mode, 1.0});
  EXPECT_LT(test::max_error(rgb, data::lab_to_rgb(torch::cat({lightness, mode.to(torch::kFloat32)}, 1))), 1e-6);
}

// CIELAB of one sRGB colour in [0, 1], written out from the standard formulas (D65), for the palette's ab.
std::array<double, 3> lab_of(double r, double g, double b) {
  auto linear = [](double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); };
  const double R = linear(r), G = linear(g), B = linear(b);
  const double x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const double y = 0.2126729 * R + 0.7151522 * G + 0.0721750 * B;
  const double z = (0.0193339 * R + 0.1191920 * G + 0.9503041 * B) / 1.08883;
  auto f = [](double t) { return t > 216.0 / 24389.0 ? std::cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0; };
  return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

TEST(ColourTargets, PaletteTargetsAreTheSourcesAndTheirAbIsTheColoursLab) {
  auto images = random_images(3, 8, 9);
  auto palette = data::Palette::fit(images, {6, 0, 20});
  auto targets = ColourTargets::palette(palette);
  EXPECT_EQ(targets.size(), 6);
  auto ids = targets.hard_targets(images);
  EXPECT_TRUE(ids.equal(palette.label(data::to_unit_rgb(images))));
  torch::manual_seed(3);
  auto logits = torch::randn({3, 6, 8, 8});
  // The loss is the source's cross-entropy, computed by the same fused path bit for bit; soft targets and
  // rebalancing do not exist for palettes.
  EXPECT_TRUE(targets.loss(logits, ids, images).equal(pixel_cross_entropy(logits, ids)));
  EXPECT_TRUE(targets.predicted_rgb(logits, {}).equal(palette.colourize(logits.argmax(1))));
  auto ab = targets.predicted_ab(logits);  // (3, 2, 8, 8)
  auto argmax = logits.argmax(1);
  auto colours = palette.colours().to(torch::kFloat64);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t y = 0; y < 8; y += 3) {
      for (int64_t x = 0; x < 8; x += 3) {
        const int64_t k = argmax[i][y][x].item<int64_t>();
        // A palette colour c stands for the 8-bit value 256 c, i.e. sRGB 256 c / 255.
        const auto lab = lab_of(colours[k][0].item<double>() * 256 / 255, colours[k][1].item<double>() * 256 / 255,
                                colours[k][2].item<double>() * 256 / 255);
        EXPECT_NEAR(ab[i][0][y][x].item<double>(), lab[1], 1e-3);
        EXPECT_NEAR(ab[i][1][y][x].item<double>(), lab[2], 1e-3);
      }
    }
  }
}

TEST(ColourTargets, SettingsThatOnlyOneTargetUsesAreRefused) {
  TrainConfig c;
  c.rebalance = 0.5;
  EXPECT_NE(test::error_of([&] { check_target_settings(c); }).find("--rebalance applies to --target ab-bins"),
            std::string::npos);
  c.rebalance = 0;
  c.soft_targets = 5;
  EXPECT_NE(test::error_of([&] { check_target_settings(c); }).find("--soft-targets"), std::string::npos);
  c.target = ColourTarget::ab_bins;
  EXPECT_EQ(test::error_of([&] { check_target_settings(c); }), "<no error>");
  c.palette_file = "palette.json";
  EXPECT_NE(test::error_of([&] { check_target_settings(c); }).find("--palette applies to --target palette"),
            std::string::npos);
  auto s = setup();
  EXPECT_THROW(ColourTargets::ab_bins(s.bins, 0.0, 1.5), Error);
  EXPECT_THROW(ColourTargets::ab_bins(s.bins, -1.0, 0.0), Error);
  // The rebalance row's upper bound, with one message for the flag and config.json.
  TrainConfig r;
  const auto* row = find_setting(train_settings(), "rebalance");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(test::error_of([&] { row->parse(r, "1.5"); }), "--rebalance must be a number >= 0 and <= 1, got 1.5");
  r.rebalance = 1.5;
  EXPECT_EQ(test::error_of([&] { validate(r); }), "--rebalance must be a number >= 0 and <= 1, got 1.5");
  r.rebalance = 0;
  row->parse(r, "1");
  EXPECT_EQ(r.rebalance, 1.0);
}

}  // namespace
}  // namespace colour_targets_test
}  // namespace tint::train
