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

// What BatchNorm2dImpl::forward does (LibTorch 1.13), then the ReLU, fused; input_bias is the bias of the convolution
// before, when it was left out there.
torch::Tensor batch_norm_relu(nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& input_bias) {
  TORCH_CHECK(x.dim() == 4, "BatchNorm2d expects (N, C, H, W), got ", x.sizes());
  const auto& o = bn.options;
  double momentum = o.momentum().value_or(0.0);
  if (bn.is_training() && o.track_running_stats() && bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked += 1;
    if (!o.momentum()) momentum = 1.0 / bn.num_batches_tracked.item<double>();  // a cumulative average
  }
  return ops::batch_norm_relu(x, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                              bn.is_training() || !o.track_running_stats(), momentum, o.eps(), input_bias);
}

struct Unbiased {
  torch::Tensor output, bias;  // the convolution without its bias, and the bias
};

// m's convolution of x without its bias, or nullopt when m is not a biased convolution this knows how to run so.
c10::optional<Unbiased> convolve_without_bias(nn::Module& m, const torch::Tensor& x) {
  if (auto* t = m.as<ops::FastConvTranspose2dImpl>(); t != nullptr && t->bias.defined()) {
    const auto& o = t->options;
    return Unbiased{ops::conv_transpose2d(x, t->weight, {}, o.stride(), c10::get<torch::ExpandingArray<2>>(o.padding()),
                                          o.output_padding(), o.dilation()),
                    t->bias};
  }
  if (auto* c = m.as<nn::Conv2dImpl>(); c != nullptr && c->bias.defined()) {
    const auto& o = c->options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
    if (padding != nullptr && c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) != nullptr) {
      return Unbiased{torch::conv2d(x, c->weight, {}, o.stride(), *padding, o.dilation(), o.groups()), c->bias};
    }
  }
  return c10::nullopt;
}

}  // namespace

torch::Tensor BlockImpl::forward(torch::Tensor x) {
  const auto n = static_cast<size_t>(size());
  const auto batch_norm = [&](size_t i) { return i < n ? ptr(i)->as<nn::BatchNorm2dImpl>() : nullptr; };
  const auto relu = [&](size_t i) { return i < n && ptr(i)->as<nn::ReLUImpl>() != nullptr; };
  for (size_t i = 0; i < n;) {
    auto& m = begin()[i];
    // Convolution, BatchNorm2d, ReLU: the convolution's bias goes into the fused batchnorm (see batch_norm_relu.h).
    if (batch_norm(i + 1) != nullptr && relu(i + 2)) {
      if (auto conv = convolve_without_bias(*m.ptr(), x)) {
        x = batch_norm_relu(*batch_norm(i + 1), conv->output, conv->bias);
        i += 3;
        continue;
      }
    }
    if (batch_norm(i) != nullptr && relu(i + 1)) {
      x = batch_norm_relu(*batch_norm(i), x, {});
      i += 2;
      continue;
    }
    x = m.forward(x);
    ++i;
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
