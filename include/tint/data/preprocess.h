// Preprocessing exactly as the source notebook: pixel values divided by 256, greyscale = mean of R, G and B.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace tint::data {

// (N, 3, H, W) uint8 -> float32 in [0, 255/256].
torch::Tensor to_unit_rgb(const torch::Tensor& images);

// (N, 3, H, W) float -> (N, 1, H, W): mean over the colour channels.
torch::Tensor to_grey(const torch::Tensor& rgb);

// The network input, defined once for training and colourizing alike: 8-bit (N, 3 or 1, H, W) pixels ->
// (N, 1, H, W) float32 grey = to_grey(to_unit_rgb(pixels)), the source's mean of R, G, B over 256 (a grey image
// counts as R = G = B).
torch::Tensor to_network_input(const torch::Tensor& pixels);

// A permutation of 0..n-1 drawn from `seed` alone (the same on every machine and thread count).
torch::Tensor seeded_permutation(int64_t n, uint64_t seed);

}  // namespace tint::data
