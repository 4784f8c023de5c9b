// Colourization metrics against brute-force loops and hand-computed cases: the AuC of the ab error (raw and
// weighted), PSNR (per-image mean and pooled), colourfulness; and their accumulation across batches and processes.
#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/ab_bins.h"
#include "tint/data/colour_metrics.h"
#include "tint/data/lab.h"

namespace tint::data {
namespace colour_metrics_test {
namespace {
using test::error_of;

// Brute force: for each threshold t = 0..150, the (weighted) fraction of pixels with |pred - true| <= t.
std::vector<double> brute_force_curve(const torch::Tensor& pred, const torch::Tensor& truth,
                                      const torch::Tensor& weights = {}) {
  auto p = pred.to(torch::kFloat64).contiguous(), t = truth.to(torch::kFloat64).contiguous();
  auto w = weights.defined() ? weights.to(torch::kFloat64).contiguous()
                             : torch::ones({p.size(0), p.size(2), p.size(3)}, torch::kFloat64);
  auto pa = p.accessor<double, 4>(), ta = t.accessor<double, 4>();
  auto wa = w.accessor<double, 3>();
  std::vector<double> curve(151, 0.0);
  double total = 0;
  for (int64_t n = 0; n < p.size(0); ++n)
    for (int64_t y = 0; y < p.size(2); ++y)
      for (int64_t x = 0; x < p.size(3); ++x) {
        const double da = pa[n][0][y][x] - ta[n][0][y][x], db = pa[n][1][y][x] - ta[n][1][y][x];
        const double error = std::sqrt(da * da + db * db);
        total += wa[n][y][x];
        for (int threshold = 0; threshold <= 150; ++threshold) {
          if (error <= threshold) curve[threshold] += wa[n][y][x];
        }
      }
  for (double& c : curve) c /= total;
  return curve;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

// Predictions whose errors span 0..~250 ab units, some exactly on integer thresholds.
std::pair<torch::Tensor, torch::Tensor> prediction_pair(uint64_t seed) {
  torch::manual_seed(seed);
  auto truth = (torch::rand({3, 2, 10, 12}) * 2 - 1) * 100;
  auto pred = truth + torch::randn({3, 2, 10, 12}) * torch::rand({3, 1, 10, 12}) * 120;
  pred[0][0][0][0] = truth[0][0][0][0] + 3.0f;  // error exactly 3 (3 is exact in float)
  pred[0][1][0][0] = truth[0][1][0][0];
  return {pred, truth};
}

TEST(AbAuc, HandComputedCase) {
  // Four pixels with errors 0, 2.5 (from (1.5, 2)), 5 (a 3-4-5 triangle) and 200: within t for t >= 0, t >= 3,
  // t >= 5, never.
  auto truth = torch::zeros({1, 2, 1, 4});
  auto pred = torch::tensor({0.0f, 1.5f, 3.0f, 200.0f, 0.0f, 2.0f, 4.0f, 0.0f}).view({1, 2, 1, 4});
  AbAucMeter m;
  m.add(pred, truth);
  auto r = m.result();
  EXPECT_DOUBLE_EQ(r.curve[0], 0.25);
  EXPECT_DOUBLE_EQ(r.curve[2], 0.25);
  EXPECT_DOUBLE_EQ(r.curve[3], 0.5);
  EXPECT_DOUBLE_EQ(r.curve[4], 0.5);
  EXPECT_DOUBLE_EQ(r.curve[5], 0.75);
  EXPECT_DOUBLE_EQ(r.curve[150], 0.75);
  // (3 thresholds at 1/4, 2 at 1/2, 146 at 3/4) / 151
  EXPECT_NEAR(r.auc, (3 * 0.25 + 2 * 0.5 + 146 * 0.75) / 151, 1e-15);
  EXPECT_FALSE(r.rebalanced_auc.has_value());
  // Perfect predictions: AuC 1.
  AbAucMeter perfect;
  perfect.add(truth, truth);
  EXPECT_DOUBLE_EQ(perfect.result().auc, 1.0);
}

TEST(AbAuc, EqualsBruteForceRawAndWeighted) {
  auto [pred, truth] = prediction_pair(1);
  auto weights = torch::rand({3, 10, 12}) * 4;
  AbAucMeter m;
  m.add(pred, truth, weights);
  auto r = m.result();
  const auto raw = brute_force_curve(pred, truth);
  const auto weighted = brute_force_curve(pred, truth, weights);
  ASSERT_EQ(r.curve.size(), 151u);
  ASSERT_EQ(r.rebalanced_curve.size(), 151u);
  for (int t = 0; t <= 150; ++t) {
    EXPECT_NEAR(r.curve[t], raw[t], 1e-12) << "t = " << t;
    EXPECT_NEAR(r.rebalanced_curve[t], weighted[t], 1e-12) << "t = " << t;
  }
  EXPECT_NEAR(r.auc, mean_of(raw), 1e-12);
  ASSERT_TRUE(r.rebalanced_auc.has_value());
  EXPECT_NEAR(*r.rebalanced_auc, mean_of(weighted), 1e-12);
  EXPECT_GT(r.auc, 0.2);  // the case spans the curve: neither all in nor all out
  EXPECT_LT(r.auc, 0.9);
}

TEST(AbAuc, ZhangsRebalancedVariantWeighsPixelsByTheInversePriorOfTheirTrueBin) {
  torch::manual_seed(2);
  auto bins = AbBins::fit(rgb_to_lab(torch::randint(0, 256, {4, 3, 12, 12}, torch::kUInt8)));
  auto [pred, truth] = prediction_pair(3);
  AbAucMeter m;
  m.add(pred, truth, bins.pixel_weights(bins.encode(truth), 1.0));
  // By hand: weight 1 / p~ of the nearest bin (any scale; it cancels).
  auto ids = bins.encode(truth);
  auto inverse_prior = (1.0 / bins.smoothed_prior()).index_select(0, ids.flatten()).view(ids.sizes());
  EXPECT_NEAR(*m.result().rebalanced_auc, mean_of(brute_force_curve(pred, truth, inverse_prior)), 1e-6);
}

TEST(AbAuc, AccumulatesAcrossBatchesAndProcesses) {
  auto [pred, truth] = prediction_pair(4);
  auto weights = torch::rand({3, 10, 12});
  AbAucMeter whole, batches;
  whole.add(pred, truth, weights);
  for (int64_t n = 0; n < 3; ++n) {
    batches.add(pred.slice(0, n, n + 1), truth.slice(0, n, n + 1), weights.slice(0, n, n + 1));
  }
  EXPECT_EQ(batches.state().size(), AbAucMeter::kStateSize);
  for (size_t i = 0; i < AbAucMeter::kStateSize; ++i) EXPECT_NEAR(batches.state()[i], whole.state()[i], 1e-9) << i;
  // Two "processes": their state vectors summed element-wise (what an allreduce does) give the whole.
  AbAucMeter first, second;
  first.add(pred.slice(0, 0, 1), truth.slice(0, 0, 1), weights.slice(0, 0, 1));
  second.add(pred.slice(0, 1), truth.slice(0, 1), weights.slice(0, 1));
  auto summed = first.state();
  const auto other = second.state();
  for (size_t i = 0; i < summed.size(); ++i) summed[i] += other[i];
  auto merged = AbAucMeter::from_state(summed).result();
  EXPECT_NEAR(merged.auc, whole.result().auc, 1e-12);
  EXPECT_NEAR(*merged.rebalanced_auc, *whole.result().rebalanced_auc, 1e-12);
  first += second;
  EXPECT_NEAR(first.result().auc, whole.result().auc, 1e-12);
}

TEST(AbAuc, RejectsMisuse) {
  auto [pred, truth] = prediction_pair(5);
  EXPECT_NE(error_of([] { AbAucMeter().result(); }).find("no pixels"), std::string::npos);
  AbAucMeter mixed;
  mixed.add(pred, truth, torch::ones({3, 10, 12}));
  mixed.add(pred, truth);
  EXPECT_NE(error_of([&] { mixed.result(); }).find("with every batch or with none"), std::string::npos);
  EXPECT_NE(error_of([] { AbAucMeter::from_state({1.0, 2.0}); }).find("2 values, expected 305"), std::string::npos);
  auto bad = pred.clone();
  bad[0][0][0][0] = std::nanf("");
  EXPECT_NE(error_of([&] { AbAucMeter().add(bad, truth); }).find("NaN"), std::string::npos);
  EXPECT_NE(error_of([&] {
              AbAucMeter().add(pred, truth, -torch::ones({3, 10, 12}));
            }).find(">= 0"),
            std::string::npos);
}

TEST(Psnr, HandComputedCases) {
  // An error of 0.1 on every value: MSE 0.01, 20 dB. A second image with error 0.01: 40 dB.
  auto truth = torch::full({2, 3, 4, 4}, 0.5, torch::kFloat64);
  auto pred = truth.clone();
  pred[0] += 0.1;
  pred[1] -= 0.01;
  auto per_image = psnr_per_image(pred, truth);
  EXPECT_NEAR(per_image[0].item<double>(), 20.0, 1e-9);
  EXPECT_NEAR(per_image[1].item<double>(), 40.0, 1e-9);
  PsnrMeter m;
  m.add(pred, truth);
  auto r = m.result();
  EXPECT_NEAR(r.mean_db, 30.0, 1e-9);                                     // the mean of 20 and 40
  EXPECT_NEAR(r.pooled_db, -10 * std::log10((0.01 + 0.0001) / 2), 1e-9);  // one MSE over both
  EXPECT_EQ(r.images, 2);
  // An exact prediction is capped at 100 dB rather than infinite.
  EXPECT_NEAR(psnr_per_image(truth, truth)[0].item<double>(), 100.0, 1e-9);
}

TEST(Psnr, EqualsLoopsAndAcceptsBytes) {
  torch::manual_seed(6);
  auto truth = torch::randint(0, 256, {4, 3, 6, 5}, torch::kUInt8);
  auto pred = torch::rand({4, 3, 6, 5});
  auto t = (truth.to(torch::kFloat64) / 255).contiguous();
  auto p = pred.to(torch::kFloat64).contiguous();
  auto ta = t.accessor<double, 4>(), pa = p.accessor<double, 4>();
  PsnrMeter batches;
  for (int64_t n = 0; n < 4; ++n) batches.add(pred.slice(0, n, n + 1), truth.slice(0, n, n + 1));
  double sum_db = 0, sse_all = 0;
  for (int64_t n = 0; n < 4; ++n) {
    double sse = 0;
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 6; ++y)
        for (int64_t x = 0; x < 5; ++x) sse += (pa[n][c][y][x] - ta[n][c][y][x]) * (pa[n][c][y][x] - ta[n][c][y][x]);
    sum_db += 10 * std::log10(1.0 / (sse / 90));
    sse_all += sse;
  }
  EXPECT_NEAR(batches.result().mean_db, sum_db / 4, 1e-9);
  EXPECT_NEAR(batches.result().pooled_db, 10 * std::log10(1.0 / (sse_all / 360)), 1e-9);
  auto merged = PsnrMeter::from_state(batches.state());
  merged += PsnrMeter::from_state(batches.state());
  EXPECT_NEAR(merged.result().mean_db, sum_db / 4, 1e-9);
  EXPECT_EQ(merged.result().images, 8);
  EXPECT_NE(error_of([&] { psnr_per_image(pred * 255, t); }).find("must be in [0, 1]"), std::string::npos);
  EXPECT_NE(error_of([] { PsnrMeter().result(); }).find("no images"), std::string::npos);
}

// Hasler and Suesstrunk's formula, one image at a time with two passes over the pixels.
double brute_force_colourfulness(const torch::Tensor& image) {  // (3, H, W) float64 in [0, 255]
  auto a = image.accessor<double, 3>();
  const int64_t h = image.size(1), w = image.size(2);
  const double count = double(h * w);
  double mean_rg = 0, mean_yb = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      mean_rg += a[0][y][x] - a[1][y][x];
      mean_yb += 0.5 * (a[0][y][x] + a[1][y][x]) - a[2][y][x];
    }
  mean_rg /= count;
  mean_yb /= count;
  double var_rg = 0, var_yb = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const double rg = a[0][y][x] - a[1][y][x], yb = 0.5 * (a[0][y][x] + a[1][y][x]) - a[2][y][x];
      var_rg += (rg - mean_rg) * (rg - mean_rg);
      var_yb += (yb - mean_yb) * (yb - mean_yb);
    }
  return std::sqrt(var_rg / count + var_yb / count) + 0.3 * std::sqrt(mean_rg * mean_rg + mean_yb * mean_yb);
}

TEST(Colourfulness, HandComputedCases) {
  // A grey image has none.
  auto grey = torch::full({1, 3, 4, 4}, 0.4);
  EXPECT_NEAR(colourfulness_per_image(grey)[0].item<double>(), 0.0, 1e-9);
  // Two pixels, pure red and pure blue: rg = (255, 0), yb = (127.5, -255); means 127.5 and -63.75, population
  // standard deviations 127.5 and 191.25.
  auto two = torch::zeros({1, 3, 1, 2}, torch::kUInt8);
  two[0][0][0][0] = 255;
  two[0][2][0][1] = 255;
  const double want = std::sqrt(127.5 * 127.5 + 191.25 * 191.25) + 0.3 * std::sqrt(127.5 * 127.5 + 63.75 * 63.75);
  EXPECT_NEAR(colourfulness_per_image(two)[0].item<double>(), want, 1e-9);
  // A uniform colour has no spread, only the offset term: pure yellow, rg = 0, yb = 255.
  auto yellow = torch::zeros({1, 3, 2, 2});
  yellow.select(1, 0).fill_(1.0);
  yellow.select(1, 1).fill_(1.0);
  EXPECT_NEAR(colourfulness_per_image(yellow)[0].item<double>(), 0.3 * 255, 1e-4);
}

TEST(Colourfulness, EqualsTheFormulaPerImageAndAccumulates) {
  torch::manual_seed(7);
  auto images = torch::randint(0, 256, {5, 3, 7, 9}, torch::kUInt8);
  auto per_image = colourfulness_per_image(images);
  ColourfulnessMeter meter, from_floats;
  double sum = 0;
  for (int64_t n = 0; n < 5; ++n) {
    const double want = brute_force_colourfulness(images[n].to(torch::kFloat64));
    EXPECT_NEAR(per_image[n].item<double>(), want, 1e-9) << "image " << n;
    sum += want;
    meter.add(images.slice(0, n, n + 1));
  }
  EXPECT_NEAR(meter.result(), sum / 5, 1e-9);
  EXPECT_EQ(meter.images(), 5);
  // Float RGB in [0, 1] is the same image scaled by 255.
  from_floats.add(images.to(torch::kFloat64) / 255);
  EXPECT_NEAR(from_floats.result(), sum / 5, 1e-9);
  auto merged = ColourfulnessMeter::from_state(meter.state());
  merged += from_floats;
  EXPECT_NEAR(merged.result(), sum / 5, 1e-9);
  EXPECT_EQ(merged.images(), 10);
  EXPECT_NE(error_of([] { ColourfulnessMeter().result(); }).find("no images"), std::string::npos);
  EXPECT_NE(error_of([] { ColourfulnessMeter::from_state({}); }).find("0 values, expected 2"), std::string::npos);
}

}  // namespace
}  // namespace colour_metrics_test
}  // namespace tint::data
