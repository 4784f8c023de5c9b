#include <functional>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/models/colour_net.h"
#include "tint/models/conv_transpose_net.h"
#include "tint/models/pool_upsample_net.h"
#include "tint/models/unet.h"

namespace tint::models {

namespace {
struct Entry {
  std::string name;
  std::function<ColourNet(const ModelConfig&)> make;
};
const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries{
      {"pool-upsample", [](const ModelConfig& c) { return PoolUpsampleNet(c).ptr(); }},
      {"conv-transpose", [](const ModelConfig& c) { return ConvTransposeNet(c).ptr(); }},
      {"unet", [](const ModelConfig& c) { return UNet(c).ptr(); }},
  };
  return entries;
}
}  // namespace

void validate(const ModelConfig& c) {
  auto need = [](bool ok, const char* flag, int value, const char* rule) {
    if (!ok) throw Error(fmt::format("{} must be {}, got {}", flag, rule, value));
  };
  need(c.kernel >= 1 && c.kernel <= 15, "--kernel", c.kernel, "in 1..15");
  // Upper bounds too, the CLI's: a config.json or checkpoint can ask for any int (2e9 filters once reached a 72 GB
  // allocation; found by fuzz/fuzz_config_json.cpp).
  need(c.num_in_channels >= 1 && c.num_in_channels <= 64, "--num-in-channels", c.num_in_channels, "in 1..64");
  need(c.num_filters >= 1 && c.num_filters <= 4096, "--num-filters", c.num_filters, "in 1..4096");
  need(c.num_colours >= 2 && c.num_colours <= 256, "--num-colours", c.num_colours, "in 2..256");
  need(c.dilation >= 1 && c.dilation <= 8, "--dilation", c.dilation, "in 1..8");
}

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : registry()) n.push_back(e.name);
    return n;
  }();
  return names;
}

namespace {
const Entry& find(const std::string& name) {
  for (const auto& e : registry()) {
    if (e.name == name) return e;
  }
  throw Error(fmt::format("unknown model '{}': expected one of {}", name, fmt::join(model_names(), ", ")));
}
}  // namespace

void validate(const std::string& name, const ModelConfig& config) {
  find(name);
  validate(config);
}

ColourNet make_model(const std::string& name, const ModelConfig& config) { return find(name).make(config); }

int64_t count_weights(const torch::nn::Module& model) {
  int64_t total = 0;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    // Convolution kernels are the 4-D parameters; biases and batchnorm scales/shifts are 1-D.
    if (item.value().dim() == 4) total += item.value().numel();
  }
  return total;
}

}  // namespace tint::models
