#include "tint/train/colour_targets.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/train/config.h"
#include "tint/train/loss.h"

namespace tint::train {

namespace {
constexpr int64_t kBlockImages = 1000;  // images per block when labelling a whole split (float copies stay small)
}  // namespace

const std::vector<std::pair<ColourTarget, std::string>>& colour_target_names() {
  static const std::vector<std::pair<ColourTarget, std::string>> names{{ColourTarget::palette, "palette"},
                                                                       {ColourTarget::ab_bins, "ab-bins"}};
  return names;
}

const std::string& to_string(ColourTarget target) {
  for (const auto& [kind, name] : colour_target_names()) {
    if (kind == target) return name;
  }
  throw Error(fmt::format("unknown colour target {}", static_cast<int>(target)));
}

Setting<TrainConfig> for_targets(Setting<TrainConfig> row, std::vector<ColourTarget> targets, std::string why_not,
                                 bool by_value) {
  std::string names;
  for (auto t : targets) names += (names.empty() ? "" : " or ") + to_string(t);
  const std::string message = fmt::format("{} applies to --target {} only; {}", row.cli_name(), names, why_not);
  row.refuse_use = [targets, message](const TrainConfig& c) {
    return std::find(targets.begin(), targets.end(), c.target) == targets.end() ? message : std::string();
  };
  if (by_value) {
    row.in_use = [to_json = row.to_json](const TrainConfig& c) { return to_json(c) != to_json(TrainConfig{}); };
  }
  return row;
}

ColourTargets ColourTargets::palette(data::Palette palette) {
  if (palette.size() < 2) throw Error("palette targets need a palette of at least 2 colours");
  ColourTargets t;
  // The palette lives in the network's /256 scale; as a colour it is the pixel value c * 256 of an 8-bit image.
  auto rgb = (palette.colours() * (256.0f / 255.0f)).t().reshape({1, 3, -1, 1});           // (1, 3, K, 1)
  t.palette_ab_ = data::rgb_to_lab(rgb).slice(1, 1, 3).reshape({2, -1}).t().contiguous();  // (K, 2)
  t.palette_ = std::move(palette);
  return t;
}

ColourTargets ColourTargets::ab_bins(data::AbBins bins, double soft_sigma, double rebalance) {
  if (bins.size() < 2) throw Error("ab-bins targets need fitted bins");
  if (!(soft_sigma >= 0.0 && std::isfinite(soft_sigma))) {
    throw Error(fmt::format("--soft-targets must be a number >= 0, got {}", soft_sigma));
  }
  ColourTargets t;
  t.is_bins_ = true;
  t.bins_ = std::move(bins);
  t.soft_sigma_ = soft_sigma;
  t.rebalance_ = rebalance;
  t.bins_.rebalancing_weights(rebalance);  // refuses a lambda outside [0, 1] now rather than at the first batch
  return t;
}

int64_t ColourTargets::size() const { return is_bins_ ? bins_.size() : palette_.size(); }

void ColourTargets::resolve_num_colours(TrainConfig& c) const {
  TrainConfig resolved = c;
  resolved.net.num_colours = static_cast<int>(size());  // at most 10,000 (AbBins), a palette's is --num-colours
  try {
    validate(resolved);
  } catch (const Error& e) {
    throw Error(fmt::format("the training images hold {} {}, one logit each: {}", size(),
                            is_bins_ ? "ab bins" : "palette colours", e.what()));
  }
  c = resolved;
}

torch::Tensor ColourTargets::hard_targets(const torch::Tensor& images) const {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.scalar_type() == torch::kUInt8,
              "hard_targets expects (N, 3, H, W) uint8 images, got ", images.sizes(), " ", images.scalar_type());
  torch::NoGradGuard no_grad;
  if (!is_bins_) return palette_.label(data::to_unit_rgb(images));  // as prepare() always labelled them
  auto ids = torch::empty({images.size(0), images.size(2), images.size(3)}, torch::kInt64);
  for (int64_t start = 0; start < images.size(0); start += kBlockImages) {
    const int64_t end = std::min(images.size(0), start + kBlockImages);
    auto ab = data::rgb_to_lab(images.slice(0, start, end)).slice(1, 1, 3);
    ids.slice(0, start, end).copy_(bins_.encode(ab));
  }
  return ids;
}

torch::Tensor ColourTargets::loss(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& images,
                                  bool sum) const {
  const bool soft = is_bins_ && soft_sigma_ > 0.0;
  const bool weighted = is_bins_ && rebalance_ > 0.0;
  if (!soft && !weighted) return pixel_cross_entropy(logits, ids, sum);
  // Hard weighted targets take the fused op too (the LibTorch path below took 2/3 of a step with 244 bins).
  if (!soft) return pixel_cross_entropy(logits, ids, sum, bins_.pixel_weights(ids, rebalance_));
  // Soft targets: the cross-entropy against the Gaussian weights of each pixel's 5 nearest bins.
  auto ab = data::rgb_to_lab(images).slice(1, 1, 3);  // (B, 2, H, W), built per batch: 12 bytes a pixel and bin
  const data::SoftTargets targets = bins_.soft_encode(ab, kSoftNeighbours, soft_sigma_);
  auto per_pixel = soft_cross_entropy(logits.to(torch::kFloat32), targets);  // (B, H, W)
  // Zhang weights a pixel by its nearest bin (its hard target), also under soft targets.
  if (weighted) per_pixel = per_pixel * bins_.pixel_weights(ids, rebalance_);
  return sum ? per_pixel.sum() : per_pixel.mean();
}

torch::Tensor ColourTargets::predicted_ab(const torch::Tensor& logits, const data::AbDecoding& decoding) const {
  torch::NoGradGuard no_grad;
  if (is_bins_) return bins_.decode(logits, decoding);
  auto ids = logits.argmax(1);  // (N, H, W)
  return palette_ab_.index_select(0, ids.flatten())
      .view({ids.size(0), ids.size(1), ids.size(2), 2})
      .permute({0, 3, 1, 2})
      .contiguous();
}

torch::Tensor ColourTargets::predicted_rgb(const torch::Tensor& logits, const torch::Tensor& lightness,
                                           const data::AbDecoding& decoding) const {
  torch::NoGradGuard no_grad;
  if (!is_bins_) return palette_.colourize(logits.argmax(1));
  return data::recombine(lightness, bins_.decode(logits, decoding));
}

}  // namespace tint::train
