// Names and settings of the networks, checked without building one (and without the networks' code, so that the
// config readers and their fuzz harnesses stand alone).
#include "tint/models/model_config.h"

#include <algorithm>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tint/core/error.h"

namespace tint::models {

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
  static const std::vector<std::string> names{"pool-upsample", "conv-transpose", "unet"};
  return names;
}

void validate(const std::string& name, const ModelConfig& config) {
  const auto& names = model_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw Error(fmt::format("unknown model '{}': expected one of {}", name, fmt::join(names, ", ")));
  }
  validate(config);
}

}  // namespace tint::models
