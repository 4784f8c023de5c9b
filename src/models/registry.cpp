#include <functional>

#include <fmt/core.h>
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

ColourNet make_model(const std::string& name, const ModelConfig& config) {
  validate(name, config);
  for (const auto& e : registry()) {
    if (e.name == name) return e.make(config);
  }
  throw Error(fmt::format("model '{}' is named in model_names() but has no constructor in the registry", name));
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
