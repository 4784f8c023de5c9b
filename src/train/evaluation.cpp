#include "tint/train/evaluation.h"

#include <chrono>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/colour_metrics.h"
#include "tint/data/lab.h"
#include "tint/train/checkpoint.h"
#include "tint/train/precision.h"
#include "tint/train/run_dir.h"
#include "tint/train/trainer.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {

// The sums of one evaluation pass, as one vector that data-parallel workers add element-wise.
struct EvalSums {
  double loss = 0.0;  // summed per-pixel loss
  double correct = 0.0, pixels = 0.0;
  bool colour = false;
  data::AbAucMeter auc;
  data::PsnrMeter psnr;
  data::ColourfulnessMeter colourfulness, truth_colourfulness;

  std::vector<double> state() const {
    std::vector<double> s{loss, correct, pixels};
    if (colour) {
      for (const auto& part : {auc.state(), psnr.state(), colourfulness.state(), truth_colourfulness.state()}) {
        s.insert(s.end(), part.begin(), part.end());
      }
    }
    return s;
  }
  static EvalSums from_state(const std::vector<double>& s, bool colour) {
    EvalSums sums;
    sums.loss = s.at(0), sums.correct = s.at(1), sums.pixels = s.at(2);
    sums.colour = colour;
    if (colour) {
      auto it = s.begin() + 3;
      auto take = [&](size_t n) {
        std::vector<double> part(it, it + static_cast<std::ptrdiff_t>(n));
        it += static_cast<std::ptrdiff_t>(n);
        return part;
      };
      sums.auc = data::AbAucMeter::from_state(take(data::AbAucMeter::kStateSize));
      sums.psnr = data::PsnrMeter::from_state(take(data::PsnrMeter::kStateSize));
      sums.colourfulness = data::ColourfulnessMeter::from_state(take(data::ColourfulnessMeter::kStateSize));
      sums.truth_colourfulness = data::ColourfulnessMeter::from_state(take(data::ColourfulnessMeter::kStateSize));
    }
    return sums;
  }

  EvalResult result() const {
    EvalResult r{loss / pixels, 100.0 * correct / pixels};
    if (colour && std::isfinite(loss)) {
      const auto a = auc.result();
      r.colour = ColourScores{100.0 * a.auc, 100.0 * a.rebalanced_auc.value(), psnr.result().mean_db,
                              colourfulness.result(), truth_colourfulness.result()};
    }
    return r;
  }
};

// Sums over data[first, last), in batches of options.batch_size from first.
EvalSums evaluate_sums(models::ColourNetImpl& model, const ColourData& data, const ColourTargets& targets,
                       const EvalPassOptions& options, int64_t first, int64_t last) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  EvalSums sums;
  sums.colour = options.reference != nullptr;
  const bool soft = targets.soft_sigma() > 0.0;
  int64_t correct = 0;
  for (int64_t start = first; start < last; start += options.batch_size) {
    const int64_t end = std::min(last, start + options.batch_size);
    torch::Tensor logits;  // (B, NC, H, W)
    {
      PrecisionScope scope(options.precision);
      logits = model.forward(data.grey.slice(0, start, end));
    }
    auto target = data.ids.slice(0, start, end);                                               // (B, H, W)
    auto images = data.images.defined() ? data.images.slice(0, start, end) : torch::Tensor();  // (B, 3, H, W)
    if (soft && !images.defined()) throw Error("soft targets need the images (ColourData::images)");
    const double loss = targets.loss(logits, target, images, /*sum=*/true).item<double>();
    sums.loss += loss;
    correct += logits.argmax(1).eq(target).sum().item<int64_t>();
    sums.pixels += static_cast<double>(target.numel());
    // Overflowed weights give a non-finite loss, which the caller reports (training stops, naming the epoch); their
    // colours are not scored.
    if (sums.colour && std::isfinite(loss)) {
      auto lab = options.reference->lab.slice(0, start, end);  // (B, 3, H, W)
      auto predicted_ab = targets.predicted_ab(logits, options.decoding);
      auto predicted = data::recombine(lab.slice(1, 0, 1), predicted_ab);  // (B, 3, H, W) in [0, 1]
      sums.auc.add(predicted_ab, lab.slice(1, 1, 3), options.reference->weights.slice(0, start, end));
      sums.psnr.add(predicted, images);
      sums.colourfulness.add(predicted);
      sums.truth_colourfulness.add(images);
    }
  }
  model.train(was_training);
  sums.correct = static_cast<double>(correct);
  return sums;
}

std::string decoding_text(const EvaluateRunResult& r) {
  if (r.target == ColourTarget::palette) return "argmax palette colour";
  if (r.decoding.mode == data::AbDecode::Annealed)
    return fmt::format("annealed mean, T = {:g}", r.decoding.temperature);
  return data::to_string(r.decoding.mode);
}

}  // namespace

ColourReference colour_reference(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.scalar_type() == torch::kUInt8,
              "colour_reference expects (N, 3, H, W) uint8 images, got ", images.sizes(), " ", images.scalar_type());
  torch::NoGradGuard no_grad;
  ColourReference r;
  r.lab = data::rgb_to_lab(images);
  auto ab = r.lab.slice(1, 1, 3);
  const auto bins = data::AbBins::fit(r.lab);
  r.weights = bins.pixel_weights(bins.encode(ab), /*lambda=*/1.0);  // the inverse smoothed prior, normalised
  return r;
}

EvalResult evaluate(models::ColourNetImpl& model, const ColourData& data, const ColourTargets& targets,
                    const EvalPassOptions& options, distributed::DataParallel* dp) {
  if (options.batch_size < 1) throw Error(fmt::format("evaluation batch size {} < 1", options.batch_size));
  if (options.reference != nullptr && options.reference->lab.size(0) != data.size()) {
    throw Error(
        fmt::format("colour reference of {} images for {} images", options.reference->lab.size(0), data.size()));
  }
  if (dp == nullptr || !dp->distributed()) return evaluate_sums(model, data, targets, options, 0, data.size()).result();
  // Every worker evaluates its share of the set; the sums make the whole set's numbers on each.
  dp->broadcast_buffers();
  const auto [first, last] = dp->share(0, data.size());
  // A worker without images (more workers than images) adds empty meters: zeros of the same size.
  auto state = evaluate_sums(model, data, targets, options, first, last).state();
  dp->sum(state);
  return EvalSums::from_state(state, options.reference != nullptr).result();
}

EvalResult evaluate(models::ColourNetImpl& model, const ColourData& data, int batch_size,
                    const std::string& precision) {
  return evaluate(model, data, ColourTargets{}, {batch_size, precision});
}

EvaluateRunResult evaluate_run(const fs::path& run_dir, const fs::path& data_dir, const EvaluateRunOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CheckpointReader reader(run_checkpoint(run_dir));
  const auto& meta = reader.meta();
  const auto& config = meta.config;
  const bool bins = config.target == ColourTarget::ab_bins;
  if (options.decoding && !bins) {
    throw Error(
        fmt::format("--decode and --temperature apply to ab-bins runs; {} predicts palette colours (--target "
                    "palette)",
                    run_dir.string()));
  }
  auto model = load_model(reader);
  const auto targets = colour_targets(meta);
  EvaluateRunResult r;
  r.category = options.category.empty() ? config.category : options.category;
  r.other_category = r.category != config.category;
  auto images = data::read_category(data_dir, data::Split::Test, r.category).images;
  if (images.size(0) == 0)
    throw Error(fmt::format("no test images of category '{}' in {}", r.category, data_dir.string()));
  const auto val = prepare(images, targets, options.limit.value_or(config.val_limit));
  const auto reference = colour_reference(val.images);
  r.decoding = options.decoding.value_or(ab_decoding(config));
  r.result = evaluate(*model, val, targets, {config.batch_size, config.precision, r.decoding, &reference});
  r.epoch = meta.epoch;
  r.images = val.size();
  r.model = config.model;
  r.target = config.target;
  r.classes = targets.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string format_evaluation(const EvaluateRunResult& r) {
  const std::string images = r.other_category ? fmt::format("{} '{}' validation images", r.images, r.category)
                                              : fmt::format("{} validation images", r.images);
  std::string text =
      r.target == ColourTarget::ab_bins
          ? fmt::format("{} (ab-bins, {} bins) after {} epochs on {}: val loss {:.4f}, bin acc {:.2f}%\n", r.model,
                        r.classes, r.epoch, images, r.result.loss, r.result.accuracy)
          : fmt::format("{} after {} epochs on {}: val loss {:.4f}, val acc {:.2f}%\n", r.model, r.epoch, images,
                        r.result.loss, r.result.accuracy);
  if (r.result.colour) {
    const auto& c = *r.result.colour;
    text += fmt::format(
        "colour ({}, on the true lightness): AuC {:.2f}%, rebalanced AuC {:.2f}%, PSNR {:.2f} dB, "
        "colourfulness {:.2f} (ground truth {:.2f})\n",
        decoding_text(r), c.auc, c.auc_rebalanced, c.psnr, c.colourfulness, c.truth_colourfulness);
  }
  return text;
}

nlohmann::json evaluation_to_json(const EvaluateRunResult& r) {
  nlohmann::json j = {{"model", r.model},      {"target", to_string(r.target)}, {"classes", r.classes},
                      {"epoch", r.epoch},      {"category", r.category},        {"images", r.images},
                      {"loss", r.result.loss}, {"seconds", r.seconds}};
  const bool bins = r.target == ColourTarget::ab_bins;
  j[bins ? "bin_accuracy" : "accuracy"] = r.result.accuracy;
  if (bins) {
    j["decode"] = data::to_string(r.decoding.mode);
    if (r.decoding.mode == data::AbDecode::Annealed) j["temperature"] = r.decoding.temperature;
  } else {
    j["decode"] = "argmax";
  }
  if (r.result.colour) {
    const auto& c = *r.result.colour;
    j["auc"] = c.auc;
    j["auc_rebalanced"] = c.auc_rebalanced;
    j["psnr"] = c.psnr;
    j["colourfulness"] = c.colourfulness;
    j["truth_colourfulness"] = c.truth_colourfulness;
  }
  return j;
}

}  // namespace tint::train
