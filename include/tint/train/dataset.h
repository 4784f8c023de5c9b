// The colourization data of one split: network inputs and per-pixel colour targets, prepared once per run.
#pragma once

#include <torch/types.h>

#include "tint/data/palette.h"

namespace tint::train {

struct ColourData {
  torch::Tensor grey;  // (N, 1, H, W) float32: mean of R, G, B of pixels / 256 (the network input)
  torch::Tensor ids;   // (N, H, W) int64: index of each pixel's nearest palette colour (the target)
  torch::Tensor rgb;   // (N, 3, H, W) float32: pixels / 256 (for sample figures)
  int64_t size() const { return grey.size(0); }
};

// images: (N, 3, H, W) uint8. `limit` > 0 keeps the first `limit` images.
ColourData prepare(const torch::Tensor& images, const data::Palette& palette, int64_t limit = 0);

}  // namespace tint::train
