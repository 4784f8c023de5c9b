// Building blocks shared by the colourization networks.
#pragma once

#include <torch/nn.h>

#include "tint/ops/conv_transpose.h"

namespace tint::models {

// A stride-1 convolution whose output has its input's height and width for any kernel, odd or even
// (an even kernel needs one more row/column of zeros after than before, which Conv2d's symmetric padding cannot do).
class SameConv2dImpl : public torch::nn::Module {
 public:
  SameConv2dImpl(int in_channels, int out_channels, int kernel);
  torch::Tensor forward(const torch::Tensor& x);  // (N, C_in, H, W) -> (N, C_out, H, W)
  torch::nn::Conv2d conv{nullptr};

 private:
  int before_, after_;
};
TORCH_MODULE(SameConv2d);

// Conv2d with stride 2 that halves an even height and width.
torch::nn::Conv2d halving_conv(int in_channels, int out_channels, int kernel);

// ConvTranspose2d with stride 2 that doubles height and width (computed through oneDNN, see ops/conv_transpose.h).
ops::FastConvTranspose2d doubling_conv_transpose(int in_channels, int out_channels, int kernel, int dilation);

}  // namespace tint::models
