// What a run's NC logits per pixel mean, written once for training, evaluation, sample figures and colourizing:
//   palette  (the source): K RGB colours; a pixel's target is its nearest colour, the prediction the argmax colour.
//   ab-bins  (Zhang, Isola and Efros 2016; data/ab_bins.h): the CIELAB ab bins of the training images; a pixel's
//            target is its nearest bin (or soft targets over its 5 nearest, --soft-targets), its loss optionally
//            weighted by the bin's rebalancing weight (--rebalance), and the prediction a decoded ab (mode, mean or
//            annealed mean) recombined with the image's own lightness L.
// Both kinds have a hard target per pixel (an id in 0..NC-1): the loss of hard, unweighted targets and the accuracy
// read it.
//
// The kinds are an enum (ColourTarget) with one name table, used by the --target row for flags and config.json, by
// evaluate's JSON and by messages. Which settings go with which kind is declared on their rows (for_targets(), in
// train_settings()), and one generic check (check_applicable, core/settings.h) refuses a setting used with the other
// kind. To add a kind: an enum value and its name here, its branches in ColourTargets, and for_targets() on the rows
// that only it (or only the others) use.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "tint/core/settings.h"
#include "tint/data/ab_bins.h"
#include "tint/data/palette.h"

namespace tint::train {

struct TrainConfig;  // train/config.h

// What a run's logits mean: the source's palette, or Zhang et al.'s ab bins.
enum class ColourTarget { palette, ab_bins };

// The one name table of the kinds, as flags, config.json and evaluate's JSON spell them: "palette", "ab-bins".
const std::vector<std::pair<ColourTarget, std::string>>& colour_target_names();
const std::string& to_string(ColourTarget target);

// `row` (a row of train_settings()) as a setting of `targets` only: its use with another target is refused with one
// line, "--flag applies to --target ab-bins only; <why_not>". It is used when its flag is given; with `by_value`,
// when the config's value differs from the default instead (settings whose default means "off": --soft-targets 0),
// so that config.json and sweeps are checked too.
Setting<TrainConfig> for_targets(Setting<TrainConfig> row, std::vector<ColourTarget> targets, std::string why_not,
                                 bool by_value);

class ColourTargets {
 public:
  static constexpr int kSoftNeighbours = 5;  // Zhang's

  ColourTargets() = default;
  static ColourTargets palette(data::Palette palette);
  // soft_sigma > 0: soft targets over the 5 nearest bins with that sigma (ab units); rebalance: lambda in [0, 1].
  static ColourTargets ab_bins(data::AbBins bins, double soft_sigma = 0.0, double rebalance = 0.0);

  bool is_palette() const { return !is_bins_; }
  ColourTarget kind() const { return is_bins_ ? ColourTarget::ab_bins : ColourTarget::palette; }
  int64_t size() const;  // NC: palette colours or bins

  // The network has one logit per target: a fresh run's config records size() as its num_colours (for ab-bins the
  // count of the bins fitted to its training images; a palette's size already is the --num-colours it was fitted
  // with). Throws tint::Error when the count is outside --num-colours' range. The one place a run's num_colours is
  // decided by its targets rather than by its flag.
  void resolve_num_colours(TrainConfig& config) const;
  const data::Palette& colours() const { return palette_; }  // palette targets
  const data::AbBins& bins() const { return bins_; }         // ab-bins targets
  double soft_sigma() const { return soft_sigma_; }
  double rebalance() const { return rebalance_; }

  // images (N, 3, H, W) uint8 -> (N, H, W) int64: each pixel's nearest palette colour (in the /256 scale, as the
  // source) or nearest ab bin (of the pixel's Lab, sRGB / 255). Works through the images in blocks.
  torch::Tensor hard_targets(const torch::Tensor& images) const;

  // Per-pixel loss of logits (N, NC, H, W) against the targets of `images` (N, 3, H, W) uint8, whose hard targets
  // are `ids` (N, H, W): the cross-entropy against the hard or soft targets, times the pixel's rebalancing weight
  // when rebalancing; the mean over pixels, or with `sum` the sum. Float32 whatever the logits' precision.
  // Hard targets take the fused pixel_cross_entropy (so palette runs are computed as they always were);
  // the images are read only for soft targets.
  torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& ids, const torch::Tensor& images,
                     bool sum = false) const;

  // The predicted chroma: logits (N, NC, H, W) -> ab (N, 2, H, W) float32. Palette: the Lab ab of the argmax colour
  // (read as sRGB c * 256 / 255, the pixel value it stands for); ab-bins: bins().decode(logits, decoding).
  torch::Tensor predicted_ab(const torch::Tensor& logits, const data::AbDecoding& decoding = {}) const;

  // What a sample figure shows as the prediction, (N, 3, H, W) float in [0, 1]. Palette: the argmax colours
  // themselves (the source's figure); ab-bins: the decoded ab recombined with `lightness` (N, 1, H, W), the images'
  // own L.
  torch::Tensor predicted_rgb(const torch::Tensor& logits, const torch::Tensor& lightness,
                              const data::AbDecoding& decoding = {}) const;

 private:
  bool is_bins_ = false;
  data::Palette palette_;
  torch::Tensor palette_ab_;  // (K, 2) float32: the palette colours' ab
  data::AbBins bins_;
  double soft_sigma_ = 0.0, rebalance_ = 0.0;
};

}  // namespace tint::train
