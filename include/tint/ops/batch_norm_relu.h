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

// Same result as torch::relu(torch::batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps,
// true)), including the update of running_mean and running_var when training, with gradients for x, weight and bias.
// The fused path takes x (N, C, H, W) channels-last on the CPU, float32 or bfloat16 (statistics in float32 and double,
// as LibTorch's), with float32 weight and bias. Anything else (NCHW, other devices or dtypes, no affine parameters)
// is computed by that expression. Per-channel sums are taken in fixed row blocks and added in order, so results do
// not depend on the thread count.
torch::Tensor batch_norm_relu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
                              double momentum, double eps);

}  // namespace tint::ops
