// Image sizes from headers (data/image_size.h). The JPEG walk follows the marker segments as libjpeg's
// jpeg_read_header does up to the first scan, taking the frame size from SOFn and the orientation from the first
// APP1 (EXIF) segment that gives one other than 1, the rule of decode_jpeg. Anything unexpected falls back to the
// full decoder, whose errors are the ones the user sees.
#include "tint/data/image_size.h"

#include <cstdint>

#include <torch/torch.h>

#include "codecs.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"

namespace tint::data {
namespace {

const unsigned char* bytes_of(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

int big_endian16(const unsigned char* p) { return (p[0] << 8) | p[1]; }
uint32_t big_endian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// False when the walk meets something it does not follow (the caller then decodes).
bool jpeg_header_size(const std::string& bytes, ImageSize& size) {
  const unsigned char* b = bytes_of(bytes);
  const size_t n = bytes.size();
  if (n < 4 || b[0] != 0xFF || b[1] != 0xD8) return false;
  int orientation = 1;
  bool have_frame = false;
  size_t i = 2;
  while (i < n) {
    if (b[i] != 0xFF) return false;
    while (i < n && b[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) return false;
    const int marker = b[i++];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // TEM, RSTn, SOI: no length
    if (marker == 0xD9) return false;                                    // EOI before any scan
    if (i + 2 > n) return false;
    const size_t length = static_cast<size_t>(big_endian16(b + i));
    if (length < 2 || i + length > n) return false;
    const unsigned char* segment = b + i + 2;
    const size_t segment_size = length - 2;
    if (marker == 0xDA) break;  // SOS: the header is complete
    if (marker == 0xE1 && orientation == 1) orientation = codecs::exif_orientation(segment, segment_size);
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (have_frame || segment_size < 5) return false;
      size.height = big_endian16(segment + 1);
      size.width = big_endian16(segment + 3);
      have_frame = true;
    }
    i += length;
  }
  if (!have_frame || size.width == 0 || size.height == 0) return false;  // a height of 0 is given later (DNL)
  if (orientation >= 5) std::swap(size.width, size.height);
  return true;
}

bool png_header_size(const std::string& bytes, ImageSize& size) {
  const unsigned char* b = bytes_of(bytes);
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0) {
    return false;
  }
  const uint32_t w = big_endian32(b + 16), h = big_endian32(b + 20);
  if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff) return false;
  size = {static_cast<int>(w), static_cast<int>(h)};
  return true;
}

}  // namespace

ImageSize image_size_of(const std::string& bytes, const std::string& name) {
  ImageSize size;
  if (jpeg_header_size(bytes, size) || png_header_size(bytes, size)) return size;
  const auto pixels = decode_image(bytes, name);  // (C, H, W)
  return {static_cast<int>(pixels.size(2)), static_cast<int>(pixels.size(1))};
}

ImageSize read_image_size(const std::filesystem::path& path) { return image_size_of(read_file(path), path.string()); }

}  // namespace tint::data
