// 2x2 max-pooling and 2x nearest upsampling on channels-last CPU tensors, PoolUpsampleNet's resampling layers.
//
// LibTorch 1.13's pair for these keeps int64 indices (twice the pooled activation in float32, four times in bfloat16)
// and starts both backward passes by filling the whole gradient with zeros; together they were a sixth of a bfloat16
// PoolUpsampleNet step. Here every window's gradient is written once; the pooling keeps its choices (a quarter of
// its input) rather than the input. Second-order gradients (create_graph) are refused.
#pragma once

#include <torch/types.h>

namespace tint::ops {

// torch::max_pool2d(x, 2) (kernel 2, stride 2, no padding): the same values and the same gradient, ties going to the
// first of a window in row-major order and NaN propagating, as LibTorch's. The fused path takes x (N, C, H, W)
// channels-last on the CPU, float32 or bfloat16, H and W even; anything else is computed by torch::max_pool2d.
torch::Tensor max_pool2x2(const torch::Tensor& x);

// torch::upsample_nearest2d(x, {2H, 2W}): each pixel repeated in a 2x2 square; its gradient sums each square (in
// float32, rounded once for bfloat16). Fused for x (N, C, H, W) channels-last on the CPU, float32 or bfloat16;
// anything else is computed by torch::upsample_nearest2d.
torch::Tensor upsample_nearest2x(const torch::Tensor& x);

}  // namespace tint::ops
