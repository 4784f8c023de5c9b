// The temporal smoother against its formula worked by hand: carried = w carried + (1 - w) predicted with
// w = strength exp(-(d / still)^2), d the grey change per pixel; a cut (mean d above `cut`) starts afresh.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "support/test_support.h"
#include "tint/colourize/temporal.h"

namespace tint::colourize {
namespace {

// A prediction of a 2 x 2 working-size picture: grey input `g` per pixel, colour `c` (2 channels, ab-like).
Prediction prediction(std::vector<float> g, std::vector<float> c) {
  return {torch::tensor(g).view({1, 1, 2, 2}), torch::tensor(c).view({2, 2, 2})};
}

TEST(TemporalSmoother, StillPixelsAverageMovingPixelsTakeTheNewColour) {
  TemporalOptions options;
  options.strength = 0.8;
  options.still = 0.1;
  options.cut = 0.9;
  TemporalSmoother smoother(options);
  // The first frame passes as predicted.
  const auto first = smoother.smooth(prediction({0.5f, 0.5f, 0.5f, 0.5f}, {10, 10, 10, 10, 0, 0, 0, 0}));
  EXPECT_TRUE(first.colour.equal(torch::tensor(std::vector<float>{10, 10, 10, 10, 0, 0, 0, 0}).view({2, 2, 2})));
  // Frame 2: pixel 0 still (d = 0), pixel 1 changes by 0.05, pixel 2 by 0.1 (= still), pixel 3 by 0.5.
  const auto second = smoother.smooth(prediction({0.5f, 0.55f, 0.6f, 1.0f}, {20, 20, 20, 20, 4, 4, 4, 4}));
  const double w[4] = {0.8, 0.8 * std::exp(-0.25), 0.8 * std::exp(-1.0), 0.8 * std::exp(-25.0)};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_NEAR(second.colour[0].view(-1)[i].item<double>(), w[i] * 10 + (1 - w[i]) * 20, 1e-4);
    EXPECT_NEAR(second.colour[1].view(-1)[i].item<double>(), w[i] * 0 + (1 - w[i]) * 4, 1e-4);
  }
  EXPECT_TRUE(second.input.equal(torch::tensor({0.5f, 0.55f, 0.6f, 1.0f}).view({1, 1, 2, 2})));
  // Frame 3, all still: the carried colour (frame 2's output) weighs 0.8.
  const auto third = smoother.smooth(prediction({0.5f, 0.55f, 0.6f, 1.0f}, {0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(third.colour.allclose(second.colour * 0.8, 1e-5, 1e-5));
  EXPECT_EQ(smoother.cuts(), 0);
}

TEST(TemporalSmoother, ASceneCutStartsAfreshAndIsCounted) {
  TemporalOptions options;
  options.strength = 0.9;
  options.cut = 0.2;
  TemporalSmoother smoother(options);
  smoother.smooth(prediction({0.1f, 0.1f, 0.1f, 0.1f}, {5, 5, 5, 5, 5, 5, 5, 5}));
  // Mean change 0.25 > 0.2: a cut, the new prediction as it is.
  const auto after = smoother.smooth(prediction({0.35f, 0.35f, 0.35f, 0.35f}, {-7, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(after.colour.equal(torch::tensor(std::vector<float>{-7, 1, 2, 3, 4, 5, 6, 7}).view({2, 2, 2})));
  EXPECT_EQ(smoother.cuts(), 1);
  // Mean change 0.15 <= 0.2: no cut.
  smoother.smooth(prediction({0.5f, 0.5f, 0.5f, 0.5f}, {0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(smoother.cuts(), 1);
}

TEST(TemporalSmoother, StrengthZeroAndANewSizePassThePredictionThrough) {
  TemporalOptions off;
  off.strength = 0.0;
  TemporalSmoother smoother(off);
  smoother.smooth(prediction({0.5f, 0.5f, 0.5f, 0.5f}, {1, 1, 1, 1, 1, 1, 1, 1}));
  const auto p = prediction({0.5f, 0.5f, 0.5f, 0.5f}, {9, 9, 9, 9, 9, 9, 9, 9});
  EXPECT_TRUE(smoother.smooth(p).colour.equal(p.colour));

  TemporalSmoother on;
  on.smooth(prediction({0.5f, 0.5f, 0.5f, 0.5f}, {1, 1, 1, 1, 1, 1, 1, 1}));
  const Prediction bigger{torch::full({1, 1, 4, 4}, 0.5f), torch::full({2, 4, 4}, 3.0f)};
  EXPECT_TRUE(on.smooth(bigger).colour.equal(bigger.colour));
  EXPECT_EQ(on.cuts(), 0);  // a new size is not a scene cut
}

TEST(TemporalSettings, RowsParseAndCheckTheirRanges) {
  TemporalOptions o;
  const auto& table = temporal_settings();
  ASSERT_EQ(table.size(), 3u);
  table[0].parse(o, "0.5");
  table[1].parse(o, "0.01");
  table[2].parse(o, "0.3");
  EXPECT_EQ(o.strength, 0.5);
  EXPECT_EQ(o.still, 0.01);
  EXPECT_EQ(o.cut, 0.3);
  EXPECT_NE(test::error_of([&] { table[0].parse(o, "1"); }).find("--temporal must be a number in 0..0.99"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { table[1].parse(o, "0"); }).find("--still must be a positive number"),
            std::string::npos);
}

}  // namespace
}  // namespace tint::colourize
