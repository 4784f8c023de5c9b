// relu(batch_norm(x)) in training with the batch statistics of every worker of a data-parallel job, as PyTorch's
// SyncBatchNorm: each worker normalizes its share of the global batch with the global batch's mean and variance, so
// that N workers with batch B compute what one process with batch N x B does, up to the order of summation.
//
// Forward: per channel, the sums of x and x^2 and the count go through one allreduce (in double); backward: the sums
// of the incoming gradient and of gradient x normalized x go through one more. The gradients of weight and bias are
// the worker's own share (the data-parallel gradient sum adds the shares), the gradient of x is exact for the global
// batch. Plain LibTorch operations: this path is for correctness across workers, not the fused kernel's speed.
#pragma once

#include <functional>

#include <torch/types.h>

namespace tint::ops {

// Sums a tensor in place across the workers (e.g. distributed::Group::allreduce_sum). Every worker calls it the same
// number of times in the same order.
using SumAcrossWorkers = std::function<void(torch::Tensor&)>;

// x (N, C, H, W) float32 or bfloat16 (computed in float32; the result has x's type), weight and bias (C) float32.
// Updates running_mean and running_var with the global statistics (the unbiased variance counting repeats x every
// worker's N x H x W values: see batch_norm_relu.h for repeats). input_bias (C), optional, is added to x first (its gradient is 0, as in
// batch_norm_relu). A
// worker may hold no images (N = 0): it still takes part in both allreduces.
torch::Tensor sync_batch_norm_relu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                   const torch::Tensor& running_mean, const torch::Tensor& running_var, double momentum,
                                   double eps, const torch::Tensor& input_bias, int64_t repeats,
                                   const SumAcrossWorkers& sum);

}  // namespace tint::ops
