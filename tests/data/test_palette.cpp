// Palette: deterministic k-means, monotone objective, labels equal to a brute-force nearest-colour search, JSON.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/palette.h"
#include "tint/data/preprocess.h"

namespace tint::data {
namespace {
using test::error_of;

torch::Tensor random_images(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {n, 3, h, w}, torch::kUInt8);
}

TEST(Palette, SameSeedSameColours) {
  auto images = read_cifar10(test::embedded_data_dir(), Split::Train).images.slice(0, 0, 300);
  auto a = Palette::fit(images, {24, 0, 300});
  auto b = Palette::fit(images, {24, 0, 300});
  auto c = Palette::fit(images, {24, 1, 300});
  ASSERT_EQ(a.size(), 24);
  EXPECT_TRUE(a.colours().equal(b.colours()));
  EXPECT_FALSE(a.colours().equal(c.colours()));
  EXPECT_GE(a.colours().min().item<float>(), 0.0f);
  EXPECT_LT(a.colours().max().item<float>(), 1.0f);
}

TEST(Palette, FitDoesNotDependOnImageOrder) {
  auto images = random_images(40, 8, 8, 3);
  auto perm = seeded_permutation(40, 9);
  auto a = Palette::fit(images, {8, 5, 300});
  auto b = Palette::fit(images.index_select(0, perm), {8, 5, 300});
  EXPECT_TRUE(a.colours().equal(b.colours()));
}

TEST(Palette, LabelsEqualBruteForceNearestColour) {
  torch::manual_seed(11);
  Palette palette(torch::rand({24, 3}));
  auto rgb = to_unit_rgb(random_images(7, 13, 9, 5));
  auto ids = palette.label(rgb);
  ASSERT_EQ(ids.sizes(), (std::vector<int64_t>{7, 13, 9}));
  auto rgb64 = rgb.to(torch::kFloat64);
  auto col64 = palette.colours().to(torch::kFloat64);
  auto px = rgb64.accessor<double, 4>();
  auto col = col64.accessor<double, 2>();
  auto got = ids.accessor<int64_t, 3>();
  int mismatches = 0;
  for (int64_t n = 0; n < 7; ++n)
    for (int64_t y = 0; y < 13; ++y)
      for (int64_t x = 0; x < 9; ++x) {
        int64_t best = -1;
        double best_d = std::numeric_limits<double>::infinity();
        for (int64_t k = 0; k < 24; ++k) {
          double d = 0;
          for (int c = 0; c < 3; ++c) d += (px[n][c][y][x] - col[k][c]) * (px[n][c][y][x] - col[k][c]);
          if (d < best_d) best_d = d, best = k;
        }
        mismatches += got[n][y][x] != best;
      }
  EXPECT_EQ(mismatches, 0);
}

TEST(Palette, ColourizeInvertsLabelOnPaletteColours) {
  Palette palette(torch::tensor({{0.1f, 0.2f, 0.3f}, {0.9f, 0.8f, 0.7f}, {0.5f, 0.0f, 1.0f}}));
  auto ids = torch::tensor({2, 0, 1, 1}, torch::kInt64).view({1, 2, 2});
  auto rgb = palette.colourize(ids);
  ASSERT_EQ(rgb.sizes(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_FLOAT_EQ(rgb[0][2][0][0].item<float>(), 1.0f);
  EXPECT_TRUE(palette.label(rgb).equal(ids));
}

TEST(KMeans, ObjectiveNeverIncreasesAndResultIsAFixedPoint) {
  torch::manual_seed(2);
  auto points =
      torch::cat({torch::randn({300, 3}, torch::kFloat64) * 0.3, torch::randn({200, 3}, torch::kFloat64) + 2});
  auto weights = torch::randint(1, 5, {500}, torch::kFloat64);
  auto r = kmeans(points, weights, {6, 4, 500});
  ASSERT_TRUE(r.converged);
  ASSERT_GE(r.objective.size(), 2u);
  for (size_t i = 1; i < r.objective.size(); ++i) {
    EXPECT_LE(r.objective[i], r.objective[i - 1] * (1 + 1e-12)) << "iteration " << i;
  }
  // At convergence: each point's centre is its nearest, and each centre is its points' weighted mean.
  auto d = torch::cdist(points, r.centres);
  EXPECT_TRUE(d.argmin(1).equal(r.assignment));
  for (int64_t j = 0; j < r.centres.size(0); ++j) {
    auto mask = (r.assignment == j).to(torch::kFloat64) * weights;
    auto mean = (points * mask.unsqueeze(1)).sum(0) / mask.sum();
    EXPECT_TRUE(torch::allclose(mean, r.centres[j], 1e-12, 1e-12)) << "centre " << j;
  }
  // The recorded final objective is the weighted squared distance to the final centres.
  auto objective = (weights * std::get<0>(d.min(1)).pow(2)).sum().item<double>();
  EXPECT_NEAR(objective, r.objective.back(), 1e-9 * objective);
}

TEST(KMeans, MoreClustersThanDistinctPointsDoesNotCrash) {
  // Four distinct colours, asked for 24: the palette has the 4 colours, labels are exact.
  auto images = torch::zeros({2, 3, 4, 4}, torch::kUInt8);
  images.select(1, 0).slice(2, 0, 2).fill_(255);  // top half red: (255,0,0) and (0,0,0) in image 0
  images[1].select(0, 2).fill_(128);              // image 1 adds blue: (255,0,128) and (0,0,128)
  auto palette = Palette::fit(images, {24, 0, 100});
  EXPECT_EQ(palette.size(), 4);
  auto rgb = to_unit_rgb(images);
  auto back = palette.colourize(palette.label(rgb));
  EXPECT_TRUE(torch::allclose(back, rgb, 0, 1e-6));
}

TEST(Palette, RejectsBadK) {
  auto images = random_images(1, 4, 4, 0);
  EXPECT_NE(error_of([&] { Palette::fit(images, {1, 0, 10}); }).find("2..256"), std::string::npos);
  EXPECT_NE(error_of([&] { Palette::fit(images, {257, 0, 10}); }).find("2..256"), std::string::npos);
}

TEST(PaletteJson, RoundTripsExactly) {
  test::TempDir tmp;
  torch::manual_seed(4);
  Palette p(torch::rand({24, 3}), "horse", 42);
  p.save(tmp / "palette.json");
  auto q = Palette::load(tmp / "palette.json");
  EXPECT_TRUE(p.colours().equal(q.colours()));
  EXPECT_EQ(q.category(), "horse");
  EXPECT_EQ(q.seed(), 42u);
}

TEST(PaletteJson, RejectsMalformedInputNamingTheSource) {
  using nlohmann::json;
  auto msg = [](const json& j) { return error_of([&] { Palette::from_json(j, "p.json"); }); };
  EXPECT_NE(msg(json::array()).find("p.json: invalid palette: expected a JSON object"), std::string::npos);
  EXPECT_NE(msg(json{{"k", 2}}).find("missing array 'colours'"), std::string::npos);
  EXPECT_NE(msg(json{{"colours", {{0, 0, 0}}}}).find("1 entries"), std::string::npos);
  EXPECT_NE(msg(json{{"colours", {{0, 0, 0}, {0, 2, 0}}}}).find("outside [0, 1]"), std::string::npos);
  EXPECT_NE(msg(json{{"colours", {{0, 0, 0}, {0, 0}}}}).find("colour 1 is not [r, g, b]"), std::string::npos);
  EXPECT_NE(msg(json{{"k", 3}, {"colours", {{0, 0, 0}, {1, 1, 1}}}}).find("'k' does not match"), std::string::npos);
  EXPECT_NE(msg(json{{"category", 5}, {"colours", {{0, 0, 0}, {1, 1, 1}}}}).find("'category'"), std::string::npos);
  test::TempDir tmp;
  test::write_bytes(tmp / "bad.json", "{ not json");
  EXPECT_NE(error_of([&] { Palette::load(tmp / "bad.json"); }).find("bad.json: not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace tint::data
