// Transposed convolution through oneDNN on CPU.
//
// LibTorch 1.13 runs ConvTranspose2d on CPU through `slow_conv_transpose2d` (im2col + GEMM), which dominated the
// training step. A transposed convolution is exactly the input-gradient of an ordinary convolution with the same
// weight, and LibTorch sends that gradient (and the convolution's forward and weight-gradient, which make up the
// transposed convolution's backward pass) to oneDNN. This op computes the same function that way: same weight
// layout (C_in, C_out, kH, kW), groups 1, on CPU (float32 through oneDNN; float64 through the same adjoint, which the
// finite-difference test checks); other devices use torch::conv_transpose2d.
#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/types.h>

namespace tint::ops {

// Same result as torch::conv_transpose2d(x, weight, bias, stride, padding, output_padding, /*groups=*/1, dilation).
// x (N, C_in, H, W), weight (C_in, C_out, kH, kW), bias (C_out) or undefined. A channels-last x gives a channels-last
// result (oneDNN's layout). In bfloat16 each value is accumulated in float32 and rounded once (the bias, added after,
// rounds again).
torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::IntArrayRef stride, torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                               torch::IntArrayRef dilation);

// A drop-in torch::nn::ConvTranspose2d (same parameters, names and initialization) whose forward uses the op above.
class FastConvTranspose2dImpl : public torch::nn::ConvTranspose2dImpl {
 public:
  using torch::nn::ConvTranspose2dImpl::ConvTranspose2dImpl;
  torch::Tensor forward(const torch::Tensor& input);
};
TORCH_MODULE(FastConvTranspose2d);

}  // namespace tint::ops
