// Evaluating a colourization network: the loss and accuracy of the source, and colour quality beyond it (issue 19),
// per epoch during training (across data-parallel workers) and in `tint evaluate` (on any category).
//
// How a prediction is scored in colour. Its chroma is an ab per pixel: for ab-bins runs the decoded distribution
// (mode, mean or annealed mean), for palette runs the Lab ab of the argmax colour. The predicted image is that ab
// recombined with the true image's own lightness L (data::recombine; out-of-gamut colours clipped). Then
//   AuC:            Zhang's area under the cumulative curve of the per-pixel ab error |pred_ab - true_ab| over the
//                   thresholds 0..150 (data::AbAucMeter), in %;
//   rebalanced AuC: the same with each pixel weighted by 1 / (Q p~) of its nearest colour bin, where the bins and
//                   their smoothed prior p~ are those of the evaluated images themselves (AbBins::fit on them), so
//                   the measure depends on the data alone and models of any target or training category are scored
//                   alike;
//   PSNR:           10 log10(1 / MSE) per image in sRGB [0, 1] against the true 8-bit image / 255, mean over images;
//   colourfulness:  Hasler and Suesstrunk's M (rg = R - G, yb = (R + G) / 2 - B) of the predicted images, mean over
//                   images, and of the true images alongside.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

#include "tint/data/ab_bins.h"
#include "tint/distributed/data_parallel.h"
#include "tint/models/colour_net.h"
#include "tint/train/colour_targets.h"
#include "tint/train/dataset.h"
#include "tint/train/metrics.h"

namespace tint::train {

// What colour scores compare predictions with, computed once per evaluated set.
struct ColourReference {
  torch::Tensor lab;      // (N, 3, H, W) float32: the true images' Lab
  torch::Tensor weights;  // (N, H, W) float32: each pixel's weight in the rebalanced AuC
};
// images (N, 3, H, W) uint8. Throws tint::Error when they hold fewer than 2 colour bins (a set of grey images).
ColourReference colour_reference(const torch::Tensor& images);

// How one evaluation pass of a model over a set runs: training's per-epoch validation, and evaluate_run's.
struct EvalPassOptions {
  int batch_size = 100;
  std::string precision = "fp32";              // of the forward passes: "fp32" or "bf16"
  data::AbDecoding decoding;                   // ab-bins targets: how a distribution becomes one ab
  const ColourReference* reference = nullptr;  // colour scores when given (of the same images as the data)
};

// The loss (targets.loss, as training computes it), accuracy and, with a reference, colour scores of `model` (eval
// mode, no gradients) on `data`. With a distributed `dp`, each worker evaluates its share and the sums (the meters'
// states included) are added across workers, so every worker gets the whole set's numbers.
EvalResult evaluate(models::ColourNetImpl& model, const ColourData& data, const ColourTargets& targets,
                    const EvalPassOptions& options, distributed::DataParallel* dp = nullptr);

// Mean per-pixel cross-entropy against data.ids and pixel accuracy (the source's evaluation).
EvalResult evaluate(models::ColourNetImpl& model, const ColourData& data, int batch_size,
                    const std::string& precision = "fp32");

// `tint evaluate --run DIR`: the run's model on the test split of its own category or another.
struct EvaluateRunOptions {
  std::string category;                      // a class name or index, or "all"; empty = the run's category
  std::optional<data::AbDecoding> decoding;  // ab-bins runs only; empty = the run's --decode and --temperature
  std::optional<int64_t> limit;              // the first N images (0 = all); empty = the run's --val-limit
};
struct EvaluateRunResult {
  EvalResult result;  // loss, accuracy and colour scores
  int epoch = 0;
  int64_t images = 0;
  std::string model, category;
  ColourTarget target = ColourTarget::palette;
  bool other_category = false;  // evaluated on a category the run was not trained on
  int64_t classes = 0;          // the network's NC: palette colours or ab bins
  data::AbDecoding decoding;    // ab-bins runs: the decoding used
  double seconds = 0.0;
};
// Throws tint::Error for a decoding given to a palette run (its prediction is the argmax colour), an unknown
// category, or a category without test images.
EvaluateRunResult evaluate_run(const std::filesystem::path& run_dir, const std::filesystem::path& data_dir,
                               const EvaluateRunOptions& options = {});

// What `tint evaluate` prints: the loss line (for a palette run on its own category, exactly as before issue 19) and
// a line of colour scores.
std::string format_evaluation(const EvaluateRunResult& r);
// The same as one JSON object (`tint evaluate --json`): run facts and every number; "accuracy" for palette runs,
// "bin_accuracy" for ab-bins runs; AuC values in %.
nlohmann::json evaluation_to_json(const EvaluateRunResult& r);

}  // namespace tint::train
