// Evaluation (train/evaluation.h): the colour scores of a model's predictions against a recomputation written out
// here with plain tensor code (AuC as a loop over the 151 thresholds, the rebalanced AuC with brute-force nearest
// bins, PSNR and colourfulness per image), for ab-bins and palette targets, in batches that do not divide the set.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/lab.h"
#include "tint/models/model_table.h"
#include "tint/train/evaluation.h"

namespace tint::train {
namespace evaluation_test {
namespace {

struct Expected {
  double auc, auc_rebalanced, psnr, colourfulness, truth_colourfulness;
};

// AuC in % of the per-pixel ab error, optionally weighted: the mean over t = 0..150 of the (weighted) fraction of
// pixels with error <= t.
double auc_of(const torch::Tensor& error, const torch::Tensor& weights) {
  double sum = 0;
  for (int t = 0; t <= 150; ++t) {
    auto within = error.le(double(t)).to(torch::kFloat64);
    sum += ((within * weights).sum() / weights.sum()).item<double>();
  }
  return 100.0 * sum / 151.0;
}

// Hasler and Suesstrunk's M per image of (N, 3, H, W) RGB on the 0..255 scale, float64 -> its mean over images.
double colourfulness_of(const torch::Tensor& rgb255) {
  auto r = rgb255.select(1, 0).flatten(1), g = rgb255.select(1, 1).flatten(1), b = rgb255.select(1, 2).flatten(1);
  auto rg = r - g, yb = 0.5 * (r + g) - b;
  auto sd = [](const torch::Tensor& x) { return (x - x.mean(1, true)).pow(2).mean(1).sqrt(); };
  auto m = (sd(rg).pow(2) + sd(yb).pow(2)).sqrt() + 0.3 * (rg.mean(1).pow(2) + yb.mean(1).pow(2)).sqrt();
  return m.mean().item<double>();
}

Expected recompute(const torch::Tensor& predicted_ab, const torch::Tensor& images) {
  auto lab = data::rgb_to_lab(images).to(torch::kFloat64);
  auto true_ab = lab.slice(1, 1, 3);
  auto error = (predicted_ab.to(torch::kFloat64) - true_ab).pow(2).sum(1).sqrt().flatten();  // (P)
  // Rebalancing weights: 1 / p~ of each pixel's nearest bin of the images' own bins (the scale cancels).
  const auto bins = data::AbBins::fit(lab);
  auto rows = true_ab.permute({0, 2, 3, 1}).reshape({-1, 2});
  auto nearest = torch::cdist(rows, bins.centres().to(torch::kFloat64)).argmin(1);
  auto weights = 1.0 / bins.smoothed_prior().index_select(0, nearest);
  // The prediction as an image: its ab on the true lightness.
  auto predicted = data::lab_to_rgb(torch::cat({lab.slice(1, 0, 1), predicted_ab.to(torch::kFloat64)}, 1));
  auto truth = images.to(torch::kFloat64) / 255.0;
  auto mse = (predicted - truth).pow(2).flatten(1).mean(1);
  return {auc_of(error, torch::ones_like(error)), auc_of(error, weights),
          (-10.0 * torch::log10(mse)).mean().item<double>(), colourfulness_of(predicted * 255.0),
          colourfulness_of(truth * 255.0)};
}

void expect_scores(const ColourScores& got, const Expected& want) {
  // An error within rounding of an integer threshold may fall on either side: one pixel of 30,720 at one of 151
  // thresholds moves the AuC by 2e-5 %.
  EXPECT_NEAR(got.auc, want.auc, 1e-4);
  EXPECT_NEAR(got.auc_rebalanced, want.auc_rebalanced, 1e-4);
  EXPECT_NEAR(got.psnr, want.psnr, 1e-4);
  EXPECT_NEAR(got.colourfulness, want.colourfulness, 1e-3);
  EXPECT_NEAR(got.truth_colourfulness, want.truth_colourfulness, 1e-9);
}

torch::Tensor test_images() {
  return data::read_cifar10(test::embedded_data_dir(), data::Split::Test).images.slice(0, 0, 30);
}

TEST(Evaluation, AbBinsScoresEqualARecomputationFromThePredictions) {
  auto images = test_images();
  auto train = data::read_cifar10(test::embedded_data_dir(), data::Split::Train).images.slice(0, 0, 40);
  auto targets = ColourTargets::ab_bins(data::AbBins::fit(data::rgb_to_lab(train)), 5.0, 0.5);
  auto data = prepare(images, targets);
  auto reference = colour_reference(data.images);
  torch::manual_seed(2);
  auto model = models::make_model("conv-transpose", {3, 1, 4, static_cast<int>(targets.size())});
  model->eval();
  torch::NoGradGuard no_grad;
  auto logits = model->forward(data.grey).to(torch::kFloat64);  // (N, Q, H, W)
  auto centres = targets.bins().centres().to(torch::kFloat64);
  for (double t : {0.38, 1.0}) {
    SCOPED_TRACE("annealed T = " + std::to_string(t));
    auto r = evaluate(*model, data, targets, {7, "fp32", {data::AbDecode::Annealed, t}, &reference});
    ASSERT_TRUE(r.colour.has_value());
    auto p = torch::softmax(logits / t, 1);
    auto ab = torch::einsum("nqhw,qc->nchw", {p, centres});
    expect_scores(*r.colour, recompute(ab, images));
    // The loss is the training loss (soft, rebalanced), the accuracy that of the most probable bin.
    EXPECT_NEAR(r.loss, targets.loss(logits.to(torch::kFloat32), data.ids, images).item<double>(), 1e-5);
    EXPECT_NEAR(r.accuracy, 100.0 * logits.argmax(1).eq(data.ids).to(torch::kFloat64).mean().item<double>(), 1e-9);
  }
  auto mode = evaluate(*model, data, targets, {7, "fp32", {data::AbDecode::Mode, 0.38}, &reference});
  auto ab = centres.index_select(0, logits.argmax(1).flatten()).view({30, 32, 32, 2}).permute({0, 3, 1, 2});
  expect_scores(*mode.colour, recompute(ab, images));
  // Without a reference, no colour scores and the same loss.
  auto plain = evaluate(*model, data, targets, {30, "fp32"});
  EXPECT_FALSE(plain.colour.has_value());
  EXPECT_NEAR(plain.loss, mode.loss, 1e-6);
}

TEST(Evaluation, PaletteScoresUseTheArgmaxColoursAb) {
  auto images = test_images();
  auto palette = data::Palette::fit(images, {8, 0, 20});
  auto targets = ColourTargets::palette(palette);
  auto data = prepare(images, targets);
  auto reference = colour_reference(data.images);
  torch::manual_seed(4);
  auto model = models::make_model("unet", {3, 1, 4, 8});
  model->eval();
  auto r = evaluate(*model, data, targets, {8, "fp32", {}, &reference});
  torch::NoGradGuard no_grad;
  auto ids = model->forward(data.grey).argmax(1);
  // The palette colour c stands for the pixel 256 c: its ab is the Lab of that sRGB colour.
  auto colours = data::rgb_to_lab(palette.colourize(ids) * (256.0 / 255.0)).slice(1, 1, 3);
  expect_scores(*r.colour, recompute(colours, images));
  // The source's evaluation is unchanged by the colour scores.
  auto plain = evaluate(*model, data, 8);
  EXPECT_EQ(plain.loss, r.loss);
  EXPECT_EQ(plain.accuracy, r.accuracy);
}

TEST(Evaluation, FormatAndJsonCarryTheNumbers) {
  EvaluateRunResult r;
  r.model = "conv-transpose";
  r.target = ColourTarget::palette;
  r.category = "horse";
  r.epoch = 25;
  r.images = 1000;
  r.classes = 24;
  r.result = {1.13334, 55.8712, ColourScores{90.41, 69.94, 23.8, 26.3, 34.56}};
  const auto text = format_evaluation(r);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "conv-transpose after 25 epochs on 1000 validation images: val loss 1.1333, val acc 55.87%");
  EXPECT_NE(text.find("AuC 90.41%, rebalanced AuC 69.94%, PSNR 23.80 dB, colourfulness 26.30 (ground truth 34.56)"),
            std::string::npos)
      << text;
  auto j = evaluation_to_json(r);
  EXPECT_EQ(j.at("accuracy").get<double>(), 55.8712);
  EXPECT_FALSE(j.contains("bin_accuracy"));
  EXPECT_EQ(j.at("auc_rebalanced").get<double>(), 69.94);
  r.target = ColourTarget::ab_bins;
  r.other_category = true;
  r.category = "deer";
  r.decoding = {data::AbDecode::Mean, 0.38};
  EXPECT_NE(format_evaluation(r).find("(ab-bins, 24 bins) after 25 epochs on 1000 'deer' validation images: val loss "
                                      "1.1333, bin acc 55.87%"),
            std::string::npos)
      << format_evaluation(r);
  j = evaluation_to_json(r);
  EXPECT_EQ(j.at("decode"), "mean");
  EXPECT_FALSE(j.contains("temperature"));
  EXPECT_TRUE(j.contains("bin_accuracy"));
}

TEST(Evaluation, AReferenceNeedsColours) {
  // A set of grey images covers one ab bin: there is no prior to rebalance by.
  auto grey = torch::full({2, 3, 4, 4}, 128, torch::kUInt8);
  EXPECT_NE(test::error_of([&] { colour_reference(grey); }).find("need at least 2"), std::string::npos);
}

}  // namespace
}  // namespace evaluation_test
}  // namespace tint::train
