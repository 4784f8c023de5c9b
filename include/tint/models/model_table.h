// The model table: every colourization network, one row each (its name comes from its class, its figure from the
// source). make_model, the CLI's --model choices, config validation, `tint compare`'s default list and the tests
// that run every network all read it. Adding a network = its file + one row in src/models/model_table.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tint/models/colour_net.h"
#include "tint/models/model_config.h"

namespace tint::models {

struct ModelEntry {
  std::string name;    // CLI name, e.g. "conv-transpose"
  std::string figure;  // where the source draws it, and what it is
  std::function<ColourNet(const ModelConfig&)> make;
  bool source = true;  // one of the source's three networks (`tint compare` trains these unless told otherwise)
};

// In the order the source introduces them: pool-upsample, conv-transpose, unet; then tint's own (deep-unet).
const std::vector<ModelEntry>& model_table();

// The names of model_table(), in its order.
const std::vector<std::string>& model_names();
// The source's three, in its order.
const std::vector<std::string>& source_model_names();

// The row named `name`; throws tint::Error listing the valid names for an unknown one.
const ModelEntry& find_model(const std::string& name);

// Checks a network's name and settings without building it (a config can ask for gigabytes of weights); throws
// tint::Error listing the valid names for an unknown one, or naming a bad setting. make_model() throws the same.
void validate(const std::string& name, const ModelConfig& config);

// Builds a network; throws as validate(name, config) does.
ColourNet make_model(const std::string& name, const ModelConfig& config);

}  // namespace tint::models
