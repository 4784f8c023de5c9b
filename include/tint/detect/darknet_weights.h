// Darknet .weights files: a header (int32 major, minor, revision; then `seen`, the number of images trained on,
// 64-bit when major * 10 + minor >= 2, else 32-bit), then float32 values layer by layer in cfg order, for each
// convolution: biases (the batchnorm's beta with batch_normalize), then with batch_normalize its scales (gamma),
// rolling mean and rolling variance, then the weights (filters, channels / groups, size, size). As darknet's
// parser.c (load_weights_upto, save_weights_upto) reads and writes them; little-endian, as darknet writes on x86.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "tint/detect/darknet_model.h"

namespace tint::detect {

struct WeightsHeader {
  int32_t major = 0, minor = 2, revision = 5;  // what AlexeyAB's darknet writes now
  uint64_t seen = 0;                           // images seen in training
  // As darknet's parser.c decides (in 64 bits: the numbers come from the file and may be anything).
  bool has_64bit_seen() const { return int64_t{major} * 10 + minor >= 2 && major < 1000 && minor < 1000; }
  int64_t size_bytes() const { return has_64bit_seen() ? 20 : 16; }
};

// The size a weights file for `model` has with `header`'s version.
int64_t weights_file_size(const DarknetModelImpl& model, const WeightsHeader& header);

// Reads `path` into the model's parameters and batchnorm statistics and returns its header. The whole file is checked
// before the model changes: a file of another length than the cfg needs (cut short, or bytes left over) is an error
// naming the file, the layer it ends in (or the last layer with weights), and the expected and actual sizes; so is a
// NaN or infinite value, or a negative variance.
WeightsHeader load_weights(DarknetModelImpl& model, const std::filesystem::path& path);
// The same from bytes in memory; `name` stands for the file in errors.
WeightsHeader load_weights_from_bytes(DarknetModelImpl& model, std::string_view bytes, const std::string& name);

// The file's bytes for the model's current values with `header` (a header read by load_weights gives back the same
// bytes: the round trip is exact).
std::string encode_weights(const DarknetModelImpl& model, const WeightsHeader& header);
// Writes encode_weights atomically (a temporary file renamed over `path`).
void save_weights(const DarknetModelImpl& model, const std::filesystem::path& path, const WeightsHeader& header);

}  // namespace tint::detect
