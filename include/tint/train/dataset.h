// The colourization data of one split: network inputs and per-pixel colour targets, prepared once per run.
#pragma once

#include <torch/types.h>

#include "tint/data/palette.h"
#include "tint/train/colour_targets.h"

namespace tint::train {

// Memory per 32 x 32 image: grey 4 KB, ids 8 KB, images 3 KB (a view of the images given, no copy), rgb 12 KB where
// kept; 50,000 training images without rgb take 0.8 GB. Soft targets are built per batch from the images.
struct ColourData {
  torch::Tensor grey;    // (N, 1, H, W) float32: mean of R, G, B of pixels / 256 (the network input)
  torch::Tensor ids;     // (N, H, W) int64: each pixel's hard target (nearest palette colour or ab bin)
  torch::Tensor rgb;     // (N, 3, H, W) float32: pixels / 256; only prepare(images, palette) keeps it
  torch::Tensor images;  // (N, 3, H, W) uint8: the images themselves (soft targets, colour metrics, figures)
  int64_t size() const { return grey.size(0); }
};

// images: (N, 3, H, W) uint8. `limit` > 0 keeps the first `limit` images.
ColourData prepare(const torch::Tensor& images, const data::Palette& palette, int64_t limit = 0);
// The same for either kind of target (targets.hard_targets), without rgb.
ColourData prepare(const torch::Tensor& images, const ColourTargets& targets, int64_t limit = 0);

}  // namespace tint::train
