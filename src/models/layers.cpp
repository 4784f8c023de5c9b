#include "tint/models/layers.h"

#include <torch/torch.h>

#include "tint/models/padding.h"
#include "tint/ops/batch_norm_relu.h"
#include "tint/ops/conv_max_pool.h"
#include "tint/ops/conv_transpose.h"
#include "tint/ops/resample.h"
#include "tint/ops/sync_batch_norm.h"

namespace tint::models {

namespace nn = torch::nn;

SameConv2dImpl::SameConv2dImpl(int in_channels, int out_channels, int kernel) {
  const auto pad = same_padding(kernel);
  before_ = pad.before;
  after_ = pad.after;
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, /*kernel_size=*/kernel)
                                                .padding(pad.symmetric() ? pad.before : 0)));
}

torch::Tensor SameConv2dImpl::padded(const torch::Tensor& x) const {
  if (before_ == after_) return x;
  return torch::constant_pad_nd(x, {before_, after_, before_, after_});
}

torch::Tensor SameConv2dImpl::forward(const torch::Tensor& x) { return conv(padded(x)); }

namespace {

// What BatchNorm2dImpl::forward does (LibTorch 1.13), then the ReLU, fused; input_bias is the bias of the convolution
// before, when it was left out there; repeats as in ops::batch_norm_relu.
// With `sync` set (data-parallel training with --sync-batchnorm), training uses every worker's batch statistics.
torch::Tensor batch_norm_relu(nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& input_bias,
                              const ops::SumAcrossWorkers& sync, int64_t repeats = 1) {
  TORCH_CHECK(x.dim() == 4, "BatchNorm2d expects (N, C, H, W), got ", x.sizes());
  const auto& o = bn.options;
  double momentum = o.momentum().value_or(0.0);
  if (bn.is_training() && o.track_running_stats() && bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked += 1;
    if (!o.momentum()) momentum = 1.0 / bn.num_batches_tracked.item<double>();  // a cumulative average
  }
  if (sync && bn.is_training() && o.track_running_stats()) {
    return ops::sync_batch_norm_relu(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum, o.eps(),
                                     input_bias, repeats, sync);
  }
  return ops::batch_norm_relu(x, bn.weight, bn.bias, bn.running_mean, bn.running_var,
                              bn.is_training() || !o.track_running_stats(), momentum, o.eps(), input_bias, repeats);
}

// The resampling layers ops/resample.h runs.
enum class Resampling { kNone, kMaxPool2x2, kUpsample2x };

bool all_equal(const torch::ExpandingArray<2>& a, int64_t value) { return (*a)[0] == value && (*a)[1] == value; }

Resampling resampling(nn::Module& m) {
  if (const auto* p = m.as<nn::MaxPool2dImpl>()) {
    const auto& o = p->options;
    if (all_equal(o.kernel_size(), 2) && all_equal(o.stride(), 2) && all_equal(o.padding(), 0) &&
        all_equal(o.dilation(), 1) && !o.ceil_mode()) {
      return Resampling::kMaxPool2x2;
    }
  }
  if (const auto* u = m.as<nn::UpsampleImpl>()) {
    const auto& o = u->options;
    if (!o.size() && o.scale_factor() && *o.scale_factor() == std::vector<double>{2.0, 2.0} &&
        c10::get_if<torch::enumtype::kNearest>(&o.mode()) != nullptr) {
      return Resampling::kUpsample2x;
    }
  }
  return Resampling::kNone;
}

torch::Tensor resample(Resampling r, const torch::Tensor& x) {
  switch (r) {
    case Resampling::kMaxPool2x2:
      return ops::max_pool2x2(x);
    case Resampling::kUpsample2x:
      return ops::upsample_nearest2x(x);
    case Resampling::kNone:
      break;
  }
  return x;
}

// r, then batchnorm and ReLU. A nearest upsampling goes last: batchnorm and ReLU commute with it (the upsampled
// statistics are the source's), so they run on a quarter of the values. A max-pooling commutes with input_bias:
// max(x + b) = max(x) + b, to rounding.
torch::Tensor resample_batch_norm_relu(Resampling r, nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                       const torch::Tensor& input_bias, const ops::SumAcrossWorkers& sync) {
  if (r == Resampling::kUpsample2x) return resample(r, batch_norm_relu(bn, x, input_bias, sync, /*repeats=*/4));
  return batch_norm_relu(bn, resample(r, x), input_bias, sync);
}

struct Unbiased {
  torch::Tensor output, bias;  // the convolution without its bias (then resampled, when resampled is true), the bias
  bool resampled = false;
};

// m's convolution of x without its bias, or nullopt when m is not a biased convolution this knows how to run so.
// A single-channel convolution followed by a 2x2 max-pooling runs with it, as ops::conv_max_pool2x2.
c10::optional<Unbiased> convolve_without_bias(nn::Module& m, const torch::Tensor& x, Resampling after) {
  if (auto* t = m.as<ops::FastConvTranspose2dImpl>(); t != nullptr && t->bias.defined()) {
    const auto& o = t->options;
    return Unbiased{ops::conv_transpose2d(x, t->weight, {}, o.stride(), c10::get<torch::ExpandingArray<2>>(o.padding()),
                                          o.output_padding(), o.dilation()),
                    t->bias};
  }
  const auto unbiased_conv2d = [after](nn::Conv2dImpl& c, const torch::Tensor& input) -> c10::optional<Unbiased> {
    const auto& o = c.options;
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
    if (!c.bias.defined() || padding == nullptr || c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()) == nullptr) {
      return c10::nullopt;
    }
    if (after == Resampling::kMaxPool2x2 && o.in_channels() == 1 && all_equal(o.stride(), 1) &&
        all_equal(o.dilation(), 1) && o.groups() == 1) {
      return Unbiased{ops::conv_max_pool2x2(input, c.weight, *padding), c.bias, /*resampled=*/true};
    }
    return Unbiased{torch::conv2d(input, c.weight, {}, o.stride(), *padding, o.dilation(), o.groups()), c.bias};
  };
  if (auto* c = m.as<nn::Conv2dImpl>()) return unbiased_conv2d(*c, x);
  if (auto* s = m.as<SameConv2dImpl>()) return unbiased_conv2d(*s->conv, s->padded(x));
  return c10::nullopt;
}

}  // namespace

torch::Tensor BlockImpl::forward(torch::Tensor x) {
  const auto n = static_cast<size_t>(size());
  const auto batch_norm = [&](size_t i) { return i < n ? ptr(i)->as<nn::BatchNorm2dImpl>() : nullptr; };
  const auto relu = [&](size_t i) { return i < n && ptr(i)->as<nn::ReLUImpl>() != nullptr; };
  const auto resampling_at = [&](size_t i) { return i < n ? resampling(*ptr(i)) : Resampling::kNone; };
  for (size_t i = 0; i < n;) {
    auto& m = begin()[i];
    // Convolution, [2x2 max-pooling or 2x nearest upsampling,] BatchNorm2d, ReLU: the convolution's bias goes into
    // the fused batchnorm (see batch_norm_relu.h); the resampling commutes with adding it.
    const auto after_conv = resampling_at(i + 1);
    const size_t skip = after_conv == Resampling::kNone ? 0 : 1;
    if (batch_norm(i + 1 + skip) != nullptr && relu(i + 2 + skip)) {
      if (auto conv = convolve_without_bias(*m.ptr(), x, after_conv)) {
        x = resample_batch_norm_relu(conv->resampled ? Resampling::kNone : after_conv, *batch_norm(i + 1 + skip),
                                     conv->output, conv->bias, sync_batch_norm);
        i += 3 + skip;
        continue;
      }
    }
    const auto here = resampling_at(i);
    const size_t own = here == Resampling::kNone ? 0 : 1;
    if (batch_norm(i + own) != nullptr && relu(i + own + 1)) {
      x = resample_batch_norm_relu(here, *batch_norm(i + own), x, {}, sync_batch_norm);
      i += 2 + own;
      continue;
    }
    TORCH_CHECK(!sync_batch_norm || batch_norm(i) == nullptr || !is_training(),
                "sync batchnorm: a BatchNorm2d not followed by a ReLU is not synchronised (block layer ", i, ")");
    x = here != Resampling::kNone ? resample(here, x) : m.forward(x);
    ++i;
  }
  return x;
}

void set_sync_batch_norm(torch::nn::Module& model, const ops::SumAcrossWorkers& sum) {
  for (auto& m : model.modules(/*include_self=*/true)) {
    if (auto* block = m->as<BlockImpl>()) block->sync_batch_norm = sum;
  }
}

nn::Conv2d halving_conv(int in_channels, int out_channels, int kernel) {
  return nn::Conv2d(
      nn::Conv2dOptions(in_channels, out_channels, /*kernel_size=*/kernel).stride(2).padding(halving_padding(kernel)));
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
