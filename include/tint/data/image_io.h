// Image files through stb: PNG, JPEG and BMP in (recognised by their signatures; stb's other decoders are refused,
// see docs/reliability.md), PNG out (atomically).
#pragma once

#include <filesystem>
#include <string>

#include <torch/types.h>

namespace tint::data {

// Reads an image as (C, H, W) uint8 with C = 1 (grey) or 3 (RGB); alpha is dropped.
// Throws tint::Error naming the file and stb's reason when it cannot be decoded.
torch::Tensor read_image(const std::filesystem::path& path);

// Decodes an image held in memory; `name` is used in error messages.
torch::Tensor decode_image(const std::string& bytes, const std::string& name);

// (C, H, W) with C = 1 or 3, uint8, or float in [0, 1] (clamped, rounded). Written atomically.
void write_png(const std::filesystem::path& path, const torch::Tensor& image);

// PNG-encodes an image in memory (for inlining in reports).
std::string encode_png(const torch::Tensor& image);

}  // namespace tint::data
