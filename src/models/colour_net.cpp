#include "tint/models/colour_net.h"

#include <torch/torch.h>

namespace tint::models {
namespace {

// A copy of `t` with `format`'s strides spelled out. contiguous(format) would not do: a tensor with one channel
// already counts as channels-last without NHWC strides, and then UNet's concatenation of it with NHWC features comes
// out NCHW (and every convolution after it converts back).
torch::Tensor with_strides_of(const torch::Tensor& t, torch::MemoryFormat format) {
  if (t.is_contiguous(format) && (format != torch::MemoryFormat::ChannelsLast || t.stride(1) == 1)) return t;
  return torch::empty_like(t, format).copy_(t);
}

}  // namespace

void ColourNetImpl::set_memory_format(torch::MemoryFormat format) {
  TORCH_CHECK(format == torch::MemoryFormat::ChannelsLast || format == torch::MemoryFormat::Contiguous,
              "ColourNet memory format must be ChannelsLast or Contiguous");
  format_ = format;
}

torch::Tensor ColourNetImpl::forward(const torch::Tensor& grey) {
  // Weights follow the format here rather than once in set_memory_format: loading a checkpoint (Module::load)
  // replaces them with tensors in whatever layout they were saved. After the first call this is a stride check.
  {
    c10::InferenceMode normal(false);  // the weights must stay ordinary tensors even when called in inference mode
    torch::NoGradGuard no_grad;
    for (auto& p : parameters()) {
      if (p.dim() == 4) {
        auto converted = with_strides_of(p, format_);
        if (!converted.is_same(p)) p.set_data(converted);
      }
    }
  }
  return layers(grey.dim() == 4 ? with_strides_of(grey, format_) : grey);
}

}  // namespace tint::models
