// The interface every colourization network implements, and the registry that builds one by its CLI name.
//
// To add a network: write include/tint/models/<name>.h + src/models/<name>.cpp deriving from ColourNetImpl
// (layers in the order of the figure, named as the text names them; blocks as models::Block, so that their
// BatchNorm2d + ReLU pairs run fused, see layers.h), add its name to model_names()
// (src/models/model_config.cpp) and its constructor to the table in src/models/registry.cpp. The shape, weight-count
// and analysis tests pick it up from model_names().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>

#include "tint/models/model_config.h"

namespace tint::models {

class ColourNetImpl : public torch::nn::Module {
 public:
  // (N, NIC, H, W) greyscale -> (N, NC, H, W) per-pixel colour logits; H and W divisible by 4.
  // Runs the layers in the network's memory format, whatever the layout of `grey` and of loaded weights.
  torch::Tensor forward(const torch::Tensor& grey);
  // The registry name, e.g. "conv-transpose".
  virtual std::string name() const = 0;

  // ChannelsLast (the default: NHWC is oneDNN's native layout, and training here runs 1.3-1.8x faster in it than in
  // NCHW, see README "Performance") or Contiguous (NCHW, LibTorch's default). Numbers agree to rounding.
  void set_memory_format(torch::MemoryFormat format);
  torch::MemoryFormat memory_format() const { return format_; }

 protected:
  // The layers, in the order of the figure.
  virtual torch::Tensor layers(const torch::Tensor& grey) = 0;

 private:
  torch::MemoryFormat format_ = torch::MemoryFormat::ChannelsLast;
};
using ColourNet = std::shared_ptr<ColourNetImpl>;

// Builds a network; throws as validate(name, config) does.
ColourNet make_model(const std::string& name, const ModelConfig& config);

// Number of weights as the source counts them: convolution kernels only (no biases, no batchnorm).
int64_t count_weights(const torch::nn::Module& model);

}  // namespace tint::models
