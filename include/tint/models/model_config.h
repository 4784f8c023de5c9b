// Settings shared by the colourization networks (NIC, NF, NC in the source's Figure 1), and their settings table
// (core/settings.h): the one place their flags, config.json keys and ranges are written. `tint train` lifts these
// rows into its own table; `tint summary --model` binds them as they are.
#pragma once

#include <string>

#include "tint/core/settings.h"

namespace tint::models {

struct ModelConfig {
  int kernel = 3;
  int num_in_channels = 1;  // NIC: greyscale input
  int num_filters = 32;     // NF
  int num_colours = 24;     // NC: palette size, one logit per colour
  int dilation = 1;         // of the transposed convolutions (the source fixes it at 1)
  // "figure": the source's last layers (block4 -> NC channels, final NC -> NC k x k). "pointwise": block4 keeps NF
  // channels and final is a 1x1 convolution NF -> NC, the classifier of Zhang et al. 2016: with hundreds of ab bins
  // as NC, the figure's NC -> NC convolution costs NC^2 k^2 per pixel (181 bins: 57x the 24-colour palette's).
  std::string head = "figure";
};

// The channels block4 hands to the final layer: NC with the figure's head, NF with the pointwise one.
int head_channels(const ModelConfig& config);
// The final layer's kernel: the network's kernel with the figure's head, 1 with the pointwise one.
int head_kernel(const ModelConfig& config);

// kernel 1..15, num-in-channels 1..64, num-filters 1..4096, num-colours 2..256, dilation 1..8, head figure|pointwise. The upper bounds
// keep a config.json or checkpoint from asking for any int (2e9 filters once reached a 72 GB allocation; found by
// fuzz/fuzz_config_json.cpp).
const SettingsTable<ModelConfig>& model_settings();

// Throws tint::Error naming the flag of the first setting outside its range.
void validate(const ModelConfig& config);

}  // namespace tint::models
