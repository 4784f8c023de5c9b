#include "tint/data/image_io.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>
#include <torch/torch.h>

#include "codecs.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/reduced_image.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

enum class Format { Jpeg, Png, WebP, Unknown };

Format format_of(const std::string& b) {
  if (b.rfind("\x89PNG\r\n\x1a\n", 0) == 0) return Format::Png;
  if (b.size() >= 3 && b.compare(0, 3, "\xFF\xD8\xFF") == 0) return Format::Jpeg;
  if (b.size() >= 12 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0) return Format::WebP;
  return Format::Unknown;
}

// What the caller's pixels become on disk: (H, W, C) uint8, contiguous.
torch::Tensor to_hwc_bytes(const torch::Tensor& image, const char* what) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), what, " expects (1|3, H, W), got ",
              image.sizes());
  TORCH_CHECK(image.size(1) > 0 && image.size(2) > 0, what, " got an empty image ", image.sizes());
  return to_bytes(image).permute({1, 2, 0}).contiguous();
}

std::string lower_extension(const fs::path& path) {
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

torch::Tensor to_bytes(const torch::Tensor& image) {
  if (image.scalar_type() == torch::kUInt8) return image;
  return image.to(torch::kFloat32).clamp(0.0, 1.0).mul(255.0).round().to(torch::kUInt8);
}

namespace codecs {
torch::Tensor composite_on_white(const torch::Tensor& hwc) {
  auto v = hwc.to(torch::kInt32);
  const int64_t colours = hwc.size(2) - 1;
  auto alpha = v.narrow(2, colours, 1);
  return ((v.narrow(2, 0, colours) * alpha + 255 * (255 - alpha) + 127) / 255).to(torch::kUInt8);
}

void check_pixel_count(int64_t width, int64_t height, int64_t max_pixels, const std::string& name) {
  if (width <= 0 || height <= 0) throw Error(fmt::format("{}: image has no pixels ({} x {})", name, width, height));
  if (width * height > max_pixels) {
    throw Error(fmt::format("{}: image is {} x {} = {} pixels, more than the limit of {} (--max-pixels raises it)",
                            name, width, height, width * height, max_pixels));
  }
}
}  // namespace codecs

torch::Tensor apply_exif_orientation(const torch::Tensor& stored, int orientation) {
  TORCH_CHECK(stored.dim() == 3, "apply_exif_orientation expects (C, H, W), got ", stored.sizes());
  // Each value names where the stored first row and first column belong when shown: 2 mirrors left-right, 3 turns
  // 180 degrees, 4 mirrors top-bottom, 5 transposes, 6 turns 90 degrees clockwise, 7 transposes across the other
  // diagonal, 8 turns 90 degrees counter-clockwise.
  switch (orientation) {
    case 1:
      return stored;
    case 2:
      return stored.flip({2}).contiguous();
    case 3:
      return stored.flip({1, 2}).contiguous();
    case 4:
      return stored.flip({1}).contiguous();
    case 5:
      return stored.transpose(1, 2).contiguous();
    case 6:
      return stored.transpose(1, 2).flip({2}).contiguous();
    case 7:
      return stored.transpose(1, 2).flip({1, 2}).contiguous();
    case 8:
      return stored.transpose(1, 2).flip({1}).contiguous();
    default:
      throw Error(fmt::format("EXIF orientation must be 1..8, got {}", orientation));
  }
}

torch::Tensor decode_image(const std::string& bytes, const std::string& name, const ReadOptions& options) {
  if (bytes.empty()) throw Error(fmt::format("{}: empty file, not an image", name));
  codecs::Decoded decoded;
  switch (format_of(bytes)) {
    case Format::Jpeg:
      decoded = codecs::decode_jpeg(bytes, name, options.max_pixels);
      break;
    case Format::Png:
      decoded = codecs::decode_png(bytes, name, options.max_pixels);
      break;
    case Format::WebP:
      decoded = codecs::decode_webp(bytes, name, options.max_pixels);
      break;
    case Format::Unknown:
      throw Error(fmt::format("{}: not a JPEG, PNG or WebP file (the image formats tint reads)", name));
  }
  return apply_exif_orientation(decoded.pixels, decoded.orientation);
}

torch::Tensor read_image(const fs::path& path, const ReadOptions& options) {
  return decode_image(read_file(path), path.string(), options);
}

ReducedImage read_image_reduced(const fs::path& path, int min_width, int min_height, const ReadOptions& options) {
  if (min_width < 0 || min_height < 0) {
    throw Error(fmt::format("read_image_reduced: the minimum size {}x{} must not be negative", min_width, min_height));
  }
  const std::string bytes = read_file(path), name = path.string();
  ReducedImage image;
  if (format_of(bytes) != Format::Jpeg || (min_width == 0 && min_height == 0)) {
    image.pixels = decode_image(bytes, name, options);
    image.width = image.pixels.size(2);
    image.height = image.pixels.size(1);
    return image;
  }
  const auto decoded = codecs::decode_jpeg(bytes, name, options.max_pixels, min_width, min_height);
  image.pixels = apply_exif_orientation(decoded.pixels, decoded.orientation);
  const bool swapped = decoded.orientation >= 5;
  image.width = swapped ? decoded.stored_height : decoded.stored_width;
  image.height = swapped ? decoded.stored_width : decoded.stored_height;
  image.scale = decoded.scale;
  return image;
}

std::string encode_png(const torch::Tensor& image, const WriteOptions& options) {
  if (options.png_compression < 0 || options.png_compression > 9) {
    throw Error(fmt::format("PNG compression level must be 0..9, got {}", options.png_compression));
  }
  return codecs::encode_png(to_hwc_bytes(image, "encode_png"), options.png_compression);
}

std::string encode_jpeg(const torch::Tensor& image, const WriteOptions& options) {
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100) {
    throw Error(fmt::format("JPEG quality must be 1..100, got {}", options.jpeg_quality));
  }
  return codecs::encode_jpeg(to_hwc_bytes(image, "encode_jpeg"), options.jpeg_quality);
}

bool is_jpeg_name(const fs::path& path) {
  const auto ext = lower_extension(path);
  return ext == ".jpg" || ext == ".jpeg";
}

bool is_readable_image_name(const fs::path& path) {
  const auto ext = lower_extension(path);
  return is_jpeg_name(path) || ext == ".png" || ext == ".webp";
}

void write_image(const fs::path& path, const torch::Tensor& image, const WriteOptions& options) {
  write_file_atomic(path, is_jpeg_name(path) ? encode_jpeg(image, options) : encode_png(image, options));
}

void write_png(const fs::path& path, const torch::Tensor& image) { write_file_atomic(path, encode_png(image)); }

}  // namespace tint::data
