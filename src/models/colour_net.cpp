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
  return run_layers(grey.dim() == 4 ? with_strides_of(grey, format_) : grey);
}

void ColourNetImpl::add_to_figure(const std::string& layer_name, std::vector<std::string> inputs,
                                  torch::nn::AnyModule module) {
  TORCH_CHECK(!inputs.empty(), name_, ": layer '", layer_name, "' has no inputs");
  for (const auto& in : inputs) {
    if (in == "input") continue;
    int producer = -1;
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (layers_[i].name == in) producer = static_cast<int>(i);
    }
    TORCH_CHECK(producer >= 0, name_, ": layer '", layer_name, "' reads '", in, "', which is not an earlier layer");
    last_use_[producer] = static_cast<int>(layers_.size());
  }
  layers_.push_back({layer_name, std::move(inputs), std::move(module)});
  last_use_.push_back(static_cast<int>(layers_.size()) - 1);
}

torch::Tensor ColourNetImpl::run_layers(const torch::Tensor& grey) {
  TORCH_CHECK(!layers_.empty(), name_, " has no layers");
  TORCH_CHECK(grey.dim() == 4 && grey.size(2) % size_multiple_ == 0 && grey.size(3) % size_multiple_ == 0, name_,
              " expects (N, C, H, W) with H and W divisible by ", size_multiple_, ", got ", grey.sizes());
  std::vector<torch::Tensor> outputs(layers_.size());
  auto output_of = [&](const std::string& in) -> const torch::Tensor& {
    if (in == "input") return grey;
    for (size_t i = 0; i < layers_.size(); ++i) {
      if (layers_[i].name == in) return outputs[i];
    }
    TORCH_CHECK(false, "unreachable: ", in);
  };
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& layer = layers_[i];
    torch::Tensor x;
    if (layer.inputs.size() == 1) {
      x = output_of(layer.inputs.front());
    } else {
      // Every part in the first one's precision: under bf16 autocast a float32 grey input would make the
      // concatenation float32, only for the convolution to convert it back (a fifth of a bf16 step).
      std::vector<torch::Tensor> parts;
      for (const auto& in : layer.inputs) {
        const auto& t = output_of(in);
        parts.push_back(parts.empty() ? t : t.to(parts.front().scalar_type()));
      }
      x = torch::cat(parts, /*dim=*/1);
    }
    outputs[i] = layer.module.forward(x);
    // Outputs no later layer reads are let go, as the chained calls of a hand-written forward() would.
    for (size_t j = 0; j < i; ++j) {
      if (last_use_[j] == static_cast<int>(i)) outputs[j] = torch::Tensor();
    }
  }
  return outputs.back();
}

int64_t count_weights(const torch::nn::Module& model) {
  int64_t total = 0;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    // Convolution kernels are the 4-D parameters; biases and batchnorm scales/shifts are 1-D.
    if (item.value().dim() == 4) total += item.value().numel();
  }
  return total;
}

}  // namespace tint::models
