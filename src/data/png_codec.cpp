// PNG through libpng's full API. (Its simplified API treats 16-bit samples as linear light and composites alpha in
// linear light, so a 16-bit v * 257 would not read as v; tint treats every PNG as sRGB, as viewers do.) libpng reports
// errors by longjmp, so each phase below calls setjmp first and creates no object with a destructor; the state lives
// in a struct owned by the caller, whose destructor frees libpng's memory.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fmt/core.h>
#include <png.h>
#include <torch/torch.h>

#include "codecs.h"
#include "tint/core/error.h"

namespace tint::data::codecs {
namespace {

struct Reader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string_view bytes;
  size_t offset = 0;
  char message[256] = {};
  ~Reader() { png_destroy_read_struct(&png, &info, nullptr); }
};

void on_read_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", message);
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}  // e.g. a known-incorrect sRGB profile: the pixels are fine

void read_bytes(png_structp png, png_bytep out, png_size_t size) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (size > r->bytes.size() - r->offset) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, r->bytes.data() + r->offset, size);
  r->offset += size;
}

// Phase 1: the header, and the conversions to 8-bit grey, grey + alpha, RGB or RGBA.
bool read_header(Reader& r) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_set_read_fn(r.png, &r, read_bytes);
  png_set_user_limits(r.png, 0x7fffffff, 0x7fffffff);  // tint's own pixel limit applies (check_pixel_count)
  png_read_info(r.png, r.info);
  png_set_expand(r.png);    // palette -> RGB, grey below 8 bits -> 8, a tRNS colour key -> alpha
  png_set_scale_16(r.png);  // 16 -> 8 bits, rounded: v * 257 reads as v
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  return true;
}

// Phase 2: every row. The end of the file (ancillary chunks after the pixels, IEND) is not read: a photo whose last
// chunk was cut off still has all its pixels.
bool read_rows(Reader& r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  return true;
}

struct Writer {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string* out = nullptr;
  char message[256] = {};
  ~Writer() { png_destroy_write_struct(&png, &info); }
};

void on_write_error(png_structp png, png_const_charp message) {
  auto* w = static_cast<Writer*>(png_get_error_ptr(png));
  std::snprintf(w->message, sizeof w->message, "%s", message);
  png_longjmp(png, 1);
}

void append(png_structp png, png_bytep data, png_size_t size) {
  auto* w = static_cast<Writer*>(png_get_io_ptr(png));
  w->out->append(reinterpret_cast<const char*>(data), size);
}
void flush(png_structp) {}

bool write(Writer& w, const unsigned char* pixels, int height, int width, int channels, int level) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_set_write_fn(w.png, &w, append, flush);
  png_set_IHDR(w.png, w.info, png_uint_32(width), png_uint_32(height), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(w.png, level);
  // The "up" filter alone, not libpng's adaptive choice, which tries all five on every row: on a 12-megapixel photo
  // the choice costs more time than it saves bytes (levels and sizes: WriteOptions::png_compression).
  png_set_filter(w.png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
  png_write_info(w.png, w.info);
  const size_t stride = size_t(width) * size_t(channels);
  for (int y = 0; y < height; ++y) png_write_row(w.png, pixels + size_t(y) * stride);
  png_write_end(w.png, nullptr);
  return true;
}

}  // namespace

Decoded decode_png(std::string_view bytes, const std::string& name, int64_t max_pixels) {
  Reader r;
  r.bytes = bytes;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_read_error, on_warning);
  if (r.png != nullptr) r.info = png_create_info_struct(r.png);
  if (r.png == nullptr || r.info == nullptr) throw Error(fmt::format("{}: cannot decode PNG: out of memory", name));
  if (!read_header(r)) throw Error(fmt::format("{}: cannot decode PNG: {}", name, r.message));
  const int64_t w = png_get_image_width(r.png, r.info), h = png_get_image_height(r.png, r.info);
  check_pixel_count(w, h, max_pixels, name);
  const int64_t c = png_get_channels(r.png, r.info);  // 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
  auto hwc = torch::empty({h, w, c}, torch::kUInt8);
  std::vector<png_bytep> rows(static_cast<size_t>(h));
  for (int64_t y = 0; y < h; ++y) rows[size_t(y)] = hwc.data_ptr<uint8_t>() + y * w * c;
  if (!read_rows(r, rows.data())) throw Error(fmt::format("{}: cannot decode PNG: {}", name, r.message));
  if (c == 2 || c == 4) hwc = composite_on_white(hwc);
  return {hwc.permute({2, 0, 1}).contiguous(), 1};
}

std::string encode_png(const torch::Tensor& hwc, int compression_level) {
  std::string out;
  Writer w;
  w.out = &out;
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_write_error, on_warning);
  if (w.png != nullptr) w.info = png_create_info_struct(w.png);
  if (w.png == nullptr || w.info == nullptr) throw Error("PNG encoding failed: out of memory");
  if (!write(w, hwc.data_ptr<uint8_t>(), int(hwc.size(0)), int(hwc.size(1)), int(hwc.size(2)), compression_level)) {
    throw Error(fmt::format("PNG encoding failed: {}", w.message));
  }
  return out;
}

}  // namespace tint::data::codecs
