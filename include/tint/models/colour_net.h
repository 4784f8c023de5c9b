// The interface every colourization network implements, and the registry that builds one by its CLI name.
//
// To add a network: write include/tint/models/<name>.h + src/models/<name>.cpp deriving from ColourNetImpl
// (layers in the order of the figure, named as the text names them), then add one entry to the table in
// src/models/registry.cpp. The shape, weight-count and analysis tests pick it up from model_names().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "tint/models/model_config.h"

namespace tint::models {

class ColourNetImpl : public torch::nn::Module {
 public:
  // (N, NIC, H, W) greyscale -> (N, NC, H, W) per-pixel colour logits; H and W divisible by 4.
  virtual torch::Tensor forward(const torch::Tensor& grey) = 0;
  // The registry name, e.g. "conv-transpose".
  virtual std::string name() const = 0;
};
using ColourNet = std::shared_ptr<ColourNetImpl>;

// CLI names, in the order the source introduces them: pool-upsample, conv-transpose, unet.
const std::vector<std::string>& model_names();

// Checks a network's name and settings without building it (a config can ask for gigabytes of weights); throws
// tint::Error listing the valid names for an unknown one, or naming a bad setting.
void validate(const std::string& name, const ModelConfig& config);

// Builds a network; throws as validate() does.
ColourNet make_model(const std::string& name, const ModelConfig& config);

// Number of weights as the source counts them: convolution kernels only (no biases, no batchnorm).
int64_t count_weights(const torch::nn::Module& model);

}  // namespace tint::models
