// What a run's NC logits per pixel mean, written once for training, evaluation, sample figures and colourizing:
//   palette  (the source): K RGB colours; a pixel's target is its nearest colour, the prediction the argmax colour.
//   ab-bins  (Zhang, Isola and Efros 2016; data/ab_bins.h): the CIELAB ab bins of the training images; a pixel's
//            target is its nearest bin (or soft targets over its 5 nearest, --soft-targets), its loss optionally
//            weighted by the bin's rebalancing weight (--rebalance), and the prediction a decoded ab (mode, mean or
//            annealed mean) recombined with the image's own lightness L.
// Both kinds have a hard target per pixel (an id in 0..NC-1): the loss of hard, unweighted targets and the accuracy
// read it.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "tint/data/ab_bins.h"
#include "tint/data/palette.h"

namespace tint::train {

class ColourTargets {
 public:
  static constexpr int kSoftNeighbours = 5;  // Zhang's

  ColourTargets() = default;
  static ColourTargets palette(data::Palette palette);
  // soft_sigma > 0: soft targets over the 5 nearest bins with that sigma (ab units); rebalance: lambda in [0, 1].
  static ColourTargets ab_bins(data::AbBins bins, double soft_sigma = 0.0, double rebalance = 0.0);

  bool is_palette() const { return !is_bins_; }
  int64_t size() const;  // NC: palette colours or bins
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
