// The base of every colourization network. A network declares its layers in the order of its figure, each with the
// layers that feed it (add_layer); forward() runs exactly that list, and the analysis (analysis/model_graph.h) reads
// the same list, so a network's wiring is written once.
//
// To add a network: write include/tint/models/<name>.h + src/models/<name>.cpp deriving from ColourNetImpl
// (layers in the order of the figure, named as the text names them; blocks as models::Block, so that their
// BatchNorm2d + ReLU pairs run fused, see layers.h), and add one row to the model table (src/models/model_table.cpp).
// The shape, weight-count, memory-format and analysis tests, the CLI's --model choices and `tint compare` pick it
// up from the table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>

#include "tint/models/model_config.h"

namespace tint::models {

class ColourNetImpl : public torch::nn::Module {
 public:
  // (N, NIC, H, W) greyscale -> (N, NC, H, W) per-pixel colour logits; H and W divisible by size_multiple().
  // Runs the layers in the network's memory format, whatever the layout of `grey` and of loaded weights.
  torch::Tensor forward(const torch::Tensor& grey);
  // The model table's name, e.g. "conv-transpose".
  const std::string& name() const { return name_; }
  // What H and W must be divisible by: 2 to the number of halvings (4 for the source's nets, which halve twice).
  int size_multiple() const { return size_multiple_; }

  // One layer of the figure and what feeds it: "input" is the network's input, any other name an earlier layer's
  // output; several inputs are concatenated along channels in this order.
  struct Layer {
    std::string name;
    std::vector<std::string> inputs;
    torch::nn::AnyModule module;
  };
  const std::vector<Layer>& figure_layers() const { return layers_; }

  // ChannelsLast (the default: NHWC is oneDNN's native layout, and training here runs 1.3-1.8x faster in it than in
  // NCHW, see README "Performance") or Contiguous (NCHW, LibTorch's default). Numbers agree to rounding.
  void set_memory_format(torch::MemoryFormat format);
  torch::MemoryFormat memory_format() const { return format_; }

 protected:
  explicit ColourNetImpl(std::string name, int size_multiple = 4)
      : name_(std::move(name)), size_multiple_(size_multiple) {}

  // Registers `module` as the figure's next layer, fed by `inputs` (see Layer), and returns it.
  template <class Holder>
  Holder add_layer(const std::string& layer_name, Holder module, std::vector<std::string> inputs) {
    auto registered = register_module(layer_name, module);
    add_to_figure(layer_name, std::move(inputs), torch::nn::AnyModule(registered));
    return registered;
  }

 private:
  void add_to_figure(const std::string& layer_name, std::vector<std::string> inputs, torch::nn::AnyModule module);
  torch::Tensor run_layers(const torch::Tensor& grey);

  std::string name_;
  int size_multiple_;
  std::vector<Layer> layers_;
  std::vector<int> last_use_;  // per layer: the index of the last layer that reads its output
  torch::MemoryFormat format_ = torch::MemoryFormat::ChannelsLast;
};
using ColourNet = std::shared_ptr<ColourNetImpl>;

// Number of weights as the source counts them: convolution kernels only (no biases, no batchnorm).
int64_t count_weights(const torch::nn::Module& model);

}  // namespace tint::models
