#include "tint/models/model_config.h"

namespace tint::models {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<ModelConfig>& model_settings() {
  using C = ModelConfig;
  static const SettingsTable<ModelConfig> table{
        sweepable(integer<C, int>("kernel", "kernel", [](C& c) -> int& { return c.kernel; }, 1, 15,
                        "Kernel size of every convolution")),
        integer<C, int>("num-in-channels", "num_in_channels", [](C& c) -> int& { return c.num_in_channels; }, 1, 64,
                        "NIC: input channels (1: the greyscale image)"),
        sweepable(integer<C, int>("num-filters", "num_filters", [](C& c) -> int& { return c.num_filters; }, 1,
                                  4096, "NF: filters of the first layer")),
        integer<C, int>("num-colours", "num_colours", [](C& c) -> int& { return c.num_colours; }, 2, 256,
                        "NC: palette size (k-means K), one logit per colour"),
        integer<C, int>("dilation", "dilation", [](C& c) -> int& { return c.dilation; }, 1, 8,
                        "Dilation of the transposed convolutions"),
        sweepable(choice<C>("head", "head", [](C& c) -> std::string& { return c.head; }, {"figure", "pointwise"},
                  "Last layers: figure (the source's: block4 -> NC, final NC->NC kxk) or pointwise (block4 keeps NF, "
                  "final 1x1 NF->NC: far cheaper for --target ab-bins)")),
  };
  return table;
}
// clang-format on

void validate(const ModelConfig& config) { check_settings(model_settings(), config); }

int head_channels(const ModelConfig& config) {
  return config.head == "pointwise" ? config.num_filters : config.num_colours;
}

int head_kernel(const ModelConfig& config) { return config.head == "pointwise" ? 1 : config.kernel; }

}  // namespace tint::models
