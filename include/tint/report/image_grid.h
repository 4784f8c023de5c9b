// Image grids for sample figures (rows of images, e.g. grey input / ground truth / prediction) and palette swatches.
#pragma once

#include <vector>

#include <torch/types.h>

namespace tint::report {

// rows[r] is (N, C, H, W) float in [0, 1] with C = 1 or 3 (grey is repeated to RGB). Every row must have the same
// H and W; rows may hold different counts. Images are separated by `pad` white pixels and enlarged `scale` times
// (nearest neighbour). Returns (3, H', W') float.
torch::Tensor make_grid(const std::vector<torch::Tensor>& rows, int pad = 2, int scale = 1);

// (K, 3) colours -> one row of K squares of `cell` pixels: (3, cell, K * cell) float.
torch::Tensor palette_swatch(const torch::Tensor& colours, int cell = 32);

}  // namespace tint::report
