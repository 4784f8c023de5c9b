#include "tint/models/model_table.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tint/core/error.h"
#include "tint/models/conv_transpose_net.h"
#include "tint/models/deep_unet.h"
#include "tint/models/pool_upsample_net.h"
#include "tint/models/unet.h"

namespace tint::models {

namespace {
template <class Holder>
ModelEntry row(std::string figure, bool source = true) {
  return {Holder::Impl::kName, std::move(figure), [](const ModelConfig& c) { return Holder(c).ptr(); }, source};
}
}  // namespace

const std::vector<ModelEntry>& model_table() {
  static const std::vector<ModelEntry> table{
      row<PoolUpsampleNet>("Figure 1a: PoolUpsampleNet (max-pooling down, nearest upsampling up)"),
      row<ConvTransposeNet>("Figure 1b: ConvTransposeNet (strided convolutions down, transposed convolutions up)"),
      row<UNet>("Figure 1c: UNet (ConvTransposeNet with skip connections)"),
      row<DeepUNet>("DeepUNet: UNet four halvings deep with three skip connections (photo-scale context, issue 32)",
                    /*source=*/false),
  };
  return table;
}

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : model_table()) n.push_back(e.name);
    return n;
  }();
  return names;
}

const std::vector<std::string>& source_model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : model_table()) {
      if (e.source) n.push_back(e.name);
    }
    return n;
  }();
  return names;
}

const ModelEntry& find_model(const std::string& name) {
  for (const auto& e : model_table()) {
    if (e.name == name) return e;
  }
  throw Error(fmt::format("unknown model '{}': expected one of {}", name, fmt::join(model_names(), ", ")));
}

void validate(const std::string& name, const ModelConfig& config) {
  find_model(name);
  validate(config);
}

ColourNet make_model(const std::string& name, const ModelConfig& config) {
  validate(name, config);
  return find_model(name).make(config);
}

}  // namespace tint::models
