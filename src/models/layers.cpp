#include "tint/models/layers.h"

#include <torch/torch.h>

#include "tint/models/padding.h"
#include "tint/ops/batch_norm_relu.h"
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

namespace {

// What BatchNorm2dImpl::forward does (LibTorch 1.13), then the ReLU, fused.
torch::Tensor batch_norm_relu(nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4, "BatchNorm2d expects (N, C, H, W), got ", x.sizes());
  const auto& o = bn.options;
  double momentum = o.momentum().value_or(0.0);
  if (bn.is_training() && o.track_running_stats() && bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked += 1;
    if (!o.momentum()) momentum = 1.0 / bn.num_batches_tracked.item<double>();  // a cumulative average
  }
  return ops::batch_norm_relu(x, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                              bn.is_training() || !o.track_running_stats(), momentum, o.eps());
}

}  // namespace

torch::Tensor BlockImpl::forward(torch::Tensor x) {
  for (auto m = begin(); m != end(); ++m) {
    auto* bn = m->ptr()->as<nn::BatchNorm2dImpl>();
    if (bn != nullptr && std::next(m) != end() && std::next(m)->ptr()->as<nn::ReLUImpl>() != nullptr) {
      x = batch_norm_relu(*bn, x);
      ++m;
    } else {
      x = m->forward(x);
    }
  }
  return x;
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
