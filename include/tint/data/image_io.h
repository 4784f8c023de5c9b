// Image files: JPEG (libjpeg-turbo), PNG (libpng) and WebP (libwebp) in, recognised by their signatures; PNG or JPEG
// out, chosen by the file's extension, written atomically. docs/images.md says what each kind of file becomes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/types.h>

namespace tint::data {

// A decoded image may hold at most this many pixels unless the caller raises it (tint colourize --max-pixels): a
// crafted header declaring 100,000 x 100,000 is refused before anything is allocated. 2^28 pixels is a 16,384 x
// 16,384 image (768 MiB as 8-bit RGB), four times a 12,000 x 9,000 photo.
inline constexpr int64_t kDefaultMaxPixels = int64_t{1} << 28;

struct ReadOptions {
  int64_t max_pixels = kDefaultMaxPixels;
};

// Reads an image as (C, H, W) uint8 with C = 1 (grey) or 3 (RGB), upright: a JPEG's EXIF orientation is applied
// (the 8 values of the TIFF standard); alpha is composited onto white; 16-bit samples are rounded to 8; palette
// PNGs are expanded; CMYK and YCCK JPEGs are converted to RGB without a colour profile.
// Throws tint::Error naming the file and what is wrong when it cannot be decoded.
torch::Tensor read_image(const std::filesystem::path& path, const ReadOptions& options = {});

// Decodes an image held in memory; `name` is used in error messages.
torch::Tensor decode_image(const std::string& bytes, const std::string& name, const ReadOptions& options = {});

// The image as shown for an EXIF orientation value (1-8): `stored` is (C, H, W) as the file's pixels lie; the
// result is what a viewer displays (orientations 5-8 swap height and width).
torch::Tensor apply_exif_orientation(const torch::Tensor& stored, int orientation);

// The bytes an image file stores for `image`: uint8 as it is; float clamped to [0, 1], then round(255 v).
torch::Tensor to_bytes(const torch::Tensor& image);

// (C, H, W) with C = 1 or 3, uint8, or float in [0, 1] (clamped, rounded).
struct WriteOptions {
  int jpeg_quality = 90;  // 1..100, for .jpg / .jpeg
  // zlib level for PNG (0..9), with the "up" filter. 1: a 12-megapixel colourized photo in 0.37 s and 16.4 MB,
  // where level 3 takes 0.71 s for 15.8 MB and level 6 2.4 s for no smaller a file (bench/bench_image_codecs.cpp).
  int png_compression = 1;
};

// Writes PNG, or JPEG when the name ends in .jpg or .jpeg (any case), atomically (temp file, then rename).
void write_image(const std::filesystem::path& path, const torch::Tensor& image, const WriteOptions& options = {});
// Always PNG, whatever the extension (sample grids, swatches, plots' companions).
void write_png(const std::filesystem::path& path, const torch::Tensor& image);

std::string encode_png(const torch::Tensor& image, const WriteOptions& options = {});
std::string encode_jpeg(const torch::Tensor& image, const WriteOptions& options = {});

// True for the extensions tint writes as JPEG: .jpg, .jpeg (any case).
bool is_jpeg_name(const std::filesystem::path& path);
// True for the extensions of the formats read_image decodes (.png, .jpg, .jpeg, .webp; any case).
bool is_readable_image_name(const std::filesystem::path& path);

}  // namespace tint::data
