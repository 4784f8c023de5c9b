#include "tint/models/layers.h"

#include <torch/torch.h>

#include "tint/models/padding.h"
#include "tint/ops/conv_transpose.h"

namespace tint::models {

namespace nn = torch::nn;

SameConv2dImpl::SameConv2dImpl(int in_channels, int out_channels, int kernel) {
  const auto pad = same_padding(kernel);
  before_ = pad.before;
  after_ = pad.after;
  conv = register_module(
      "conv", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, /*kernel_size=*/kernel)
                             .padding(pad.symmetric() ? pad.before : 0)));
}

torch::Tensor SameConv2dImpl::forward(const torch::Tensor& x) {
  if (before_ == after_) return conv(x);
  return conv(torch::constant_pad_nd(x, {before_, after_, before_, after_}));
}

nn::Conv2d halving_conv(int in_channels, int out_channels, int kernel) {
  return nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, /*kernel_size=*/kernel)
                        .stride(2)
                        .padding(halving_padding(kernel)));
}

ops::FastConvTranspose2d doubling_conv_transpose(int in_channels, int out_channels, int kernel, int dilation) {
  const auto pad = doubling_padding(kernel, dilation);
  return ops::FastConvTranspose2d(nn::ConvTranspose2dOptions(in_channels, out_channels, /*kernel_size=*/kernel)
                                 .stride(2)
                                 .padding(pad.padding)
                                 .output_padding(pad.output_padding)
                                 .dilation(dilation));
}

}  // namespace tint::models
