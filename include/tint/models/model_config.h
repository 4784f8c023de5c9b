// Settings shared by the colourization networks (NIC, NF, NC in the source's Figure 1), and their settings table
// (core/settings.h): the one place their flags, config.json keys and ranges are written. `tint train` lifts these
// rows into its own table; `tint summary --model` binds them as they are.
#pragma once

#include "tint/core/settings.h"

namespace tint::models {

struct ModelConfig {
  int kernel = 3;
  int num_in_channels = 1;  // NIC: greyscale input
  int num_filters = 32;     // NF
  int num_colours = 24;     // NC: palette size, one logit per colour
  int dilation = 1;         // of the transposed convolutions (the source fixes it at 1)
};

// kernel 1..15, num-in-channels 1..64, num-filters 1..4096, num-colours 2..256, dilation 1..8. The upper bounds
// keep a config.json or checkpoint from asking for any int (2e9 filters once reached a 72 GB allocation; found by
// fuzz/fuzz_config_json.cpp).
const SettingsTable<ModelConfig>& model_settings();

// Throws tint::Error naming the flag of the first setting outside its range.
void validate(const ModelConfig& config);

}  // namespace tint::models
