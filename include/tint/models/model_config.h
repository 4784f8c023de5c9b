// Settings shared by the colourization networks (NIC, NF, NC in the source's Figure 1).
#pragma once

#include <string>
#include <vector>

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

// CLI names of the networks, in the order the source introduces them: pool-upsample, conv-transpose, unet.
const std::vector<std::string>& model_names();

// Checks a network's name and settings without building it (a config can ask for gigabytes of weights); throws
// tint::Error listing the valid names for an unknown one, or naming a bad setting. make_model() throws the same.
void validate(const std::string& name, const ModelConfig& config);

}  // namespace tint::models
