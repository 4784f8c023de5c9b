// Settings shared by the colourization networks (NIC, NF, NC in the source's Figure 1).
#pragma once

namespace tint::models {

struct ModelConfig {
  int kernel = 3;
  int num_in_channels = 1;  // NIC: greyscale input
  int num_filters = 32;     // NF
  int num_colours = 24;     // NC: palette size, one logit per colour
  int dilation = 1;         // of the transposed convolutions (the source fixes it at 1)
};

// Throws tint::Error naming the setting when a value is impossible (kernel outside 1..15, channels outside 1..64,
// filters outside 1..4096, colours outside 2..256, dilation outside 1..8).
void validate(const ModelConfig& config);

}  // namespace tint::models
