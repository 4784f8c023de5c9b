// A single-channel convolution followed by 2x2 max-pooling, as one operation: PoolUpsampleNet's first layer, on the
// greyscale input.
//
// With one input channel a convolution does k*k multiply-adds per output value, too little work for oneDNN's kernels
// to be efficient (its bfloat16 forward pass ran at 100 GFLOP/s here, against 600-1000 for the other layers), and its
// output (32 channels at full resolution, the largest activation of the network) is written, pooled and read back
// for the weight gradient. Here each 2x2 window's four convolutions are computed in registers and only their
// maximum and its position are written, a quarter of the values; the weight gradient reads the pooled gradient and
// the input. Forward + weight gradient at PoolUpsampleNet's first block (batch 100, 32 filters, bench/
// bench_conv_max_pool.cpp): 0.65 ms against LibTorch's 2.34 in float32, 0.64 against 2.07 in bfloat16.
#pragma once

#include <torch/types.h>

namespace tint::ops {

// torch::max_pool2d(torch::conv2d(x, weight, {}, 1, padding), 2) for x (N, 1, H, W) and weight (C, 1, kH, kW):
// the same values (to rounding: the sums run in another order; in bfloat16 each convolution value is rounded before
// the comparison, as the separate operators would store it) and the same gradient for weight, ties in a window going
// to the first in row-major order, NaN propagating. Under CPU autocast both are cast to its type first, as conv2d
// would be. The fused path takes x whose suggested memory format is channels-last (for one channel: NHWC strides,
// stride(1) == 1, as the networks give their input) and weight on the CPU, both float32 or both bfloat16, x not
// requiring a gradient (a network's input: the input gradient is not computed here), and a convolution output of
// even height and width; its result is channels-last. Anything else is computed by torch::conv2d and
// ops::max_pool2x2. The weight gradient is summed in a fixed order, so it does not depend on the thread count.
// Second-order gradients (create_graph) are refused.
torch::Tensor conv_max_pool2x2(const torch::Tensor& x, const torch::Tensor& weight, torch::IntArrayRef padding);

}  // namespace tint::ops
