#include "tint/data/image_io.h"

#include <limits>

#include <fmt/core.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

torch::Tensor decode_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw Error(fmt::format("{}: empty file, not an image", name));
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw Error(fmt::format("{}: file too large to decode", name));
  }
  int w = 0, h = 0, channels = 0;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  if (!stbi_info_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &channels)) {
    throw Error(fmt::format("{}: cannot decode image: {}", name, stbi_failure_reason()));
  }
  // Refuse absurd sizes before allocating: a crafted header must not exhaust memory.
  if (w <= 0 || h <= 0 || static_cast<int64_t>(w) * h > (int64_t{1} << 28)) {
    throw Error(fmt::format("{}: unsupported image size {}x{}", name, w, h));
  }
  const int want = (channels == 1 || channels == 2) ? 1 : 3;
  stbi_uc* pixels = stbi_load_from_memory(data, static_cast<int>(bytes.size()), &w, &h, &channels, want);
  if (pixels == nullptr) throw Error(fmt::format("{}: cannot decode image: {}", name, stbi_failure_reason()));
  auto hwc = torch::from_blob(pixels, {h, w, want}, torch::kUInt8);
  auto chw = hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);  // own copy: stb frees its buffer
  stbi_image_free(pixels);
  return chw;
}

torch::Tensor read_image(const fs::path& path) { return decode_image(read_file(path), path.string()); }

std::string encode_png(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
              "encode_png expects (1|3, H, W), got ", image.sizes());
  torch::Tensor bytes = image;
  if (image.scalar_type() != torch::kUInt8) {
    bytes = image.to(torch::kFloat32).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8);
  }
  auto hwc = bytes.permute({1, 2, 0}).contiguous();
  const int h = static_cast<int>(hwc.size(0)), w = static_cast<int>(hwc.size(1)), c = static_cast<int>(hwc.size(2));
  std::string out;
  auto sink = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(sink, &out, w, h, c, hwc.data_ptr<uint8_t>(), w * c)) {
    throw Error("PNG encoding failed");
  }
  return out;
}

void write_png(const fs::path& path, const torch::Tensor& image) { write_file_atomic(path, encode_png(image)); }

}  // namespace tint::data
