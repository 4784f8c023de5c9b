// relu(batch_norm(x)) as one operation on channels-last CPU tensors.
//
// Every block of the colourization networks ends in BatchNorm2d then ReLU. On channels-last tensors LibTorch 1.13
// runs batchnorm's backward and ReLU's backward 2.5-3x slower than on NCHW (see README "Performance"), and together
// they were over a quarter of a training step. Fused, the forward pass reads the activation twice and writes it once,
// and the backward pass reads the activation and its gradient twice and writes once: 8 passes over memory where the
// two LibTorch operators make 13, each of them vectorized for the machine's widest vectors.
#pragma once

#include <torch/types.h>

namespace tint::ops {

// Same result as torch::relu(torch::batch_norm(x + input_bias, weight, bias, running_mean, running_var, training,
// momentum, eps, true)), including the update of running_mean and running_var when training, with gradients for x,
// weight, bias and input_bias. input_bias (C), optional, is the bias of the convolution before, folded in here: in
// training the normalization removes it exactly (its gradient is 0 and it only moves the running mean), so the
// convolution need not add it to every pixel, nor sum its gradient back over every pixel.
// The fused path takes x (N, C, H, W) channels-last on the CPU, float32 or bfloat16 (statistics in float32 and double,
// as LibTorch's), with float32 parameters. Anything else (NCHW, other devices or dtypes, no affine parameters)
// is computed by that expression. Per-channel sums are taken in fixed row blocks and added in order, so results do
// not depend on the thread count.
// repeats > 1 says that each value of x stands for that many equal ones: x is the source of a nearest upsampling
// (repeats 4 for 2x) that the caller applies to the result, as batchnorm and ReLU commute with it. The batch
// statistics are the same; only the unbiased variance tracked in running_var counts repeats * N * H * W values, so
// running_var is that of the expression above on the upsampled x (on the fallback path too, which then tracks the
// statistics itself). Second-order gradients (create_graph) are refused.
torch::Tensor batch_norm_relu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
                              double momentum, double eps, const torch::Tensor& input_bias = {}, int64_t repeats = 1);

}  // namespace tint::ops
