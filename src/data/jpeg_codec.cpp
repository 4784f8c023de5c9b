// JPEG through libjpeg-turbo's libjpeg API (not TurboJPEG: tint needs the APP1 segment for EXIF orientation and
// CMYK output). libjpeg reports errors by calling error_exit, which must not return; the documented way out is
// longjmp. So every libjpeg call runs inside a phase function that calls setjmp first and creates no object with a
// destructor, and all state lives in a struct owned by the caller, whose destructor releases libjpeg's memory.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>
#include <jpeglib.h>
#include <torch/torch.h>

#include "codecs.h"
#include "tint/core/error.h"

namespace tint::data::codecs {
namespace {

struct ErrorHandler {
  jpeg_error_mgr mgr;  // first, so that libjpeg's j_common_ptr->err points at the whole struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  char warning[JMSG_LENGTH_MAX] = {};  // the first warning (corrupt data libjpeg decoded through)
};

[[noreturn]] void on_error(j_common_ptr info) {
  auto* handler = reinterpret_cast<ErrorHandler*>(info->err);
  (*info->err->format_message)(info, handler->message);
  std::longjmp(handler->jump, 1);
}

void on_message(j_common_ptr info, int level) {
  auto* handler = reinterpret_cast<ErrorHandler*>(info->err);
  if (level < 0 && handler->warning[0] == '\0') (*info->err->format_message)(info, handler->warning);
}

ErrorHandler* install(ErrorHandler& handler) {
  jpeg_std_error(&handler.mgr);
  handler.mgr.error_exit = on_error;
  handler.mgr.emit_message = on_message;
  return &handler;
}

struct Decompressor {
  ErrorHandler handler;
  jpeg_decompress_struct info{};
  bool created = false;
  Decompressor() { info.err = &install(handler)->mgr; }
  ~Decompressor() {
    if (created) jpeg_destroy_decompress(&info);
  }
};

// Phase 1: the header, the saved APP1 segments and the output size. False when libjpeg refused the file.
bool read_header(Decompressor& d, const unsigned char* bytes, unsigned long size) {
  if (setjmp(d.handler.jump)) return false;
  jpeg_create_decompress(&d.info);
  d.created = true;
  jpeg_mem_src(&d.info, bytes, size);
  jpeg_save_markers(&d.info, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&d.info, TRUE);
  // Grey stays grey; CMYK and YCCK (Adobe, print workflows) come out as CMYK and are converted below; the rest as
  // RGB (libjpeg converts YCbCr).
  switch (d.info.jpeg_color_space) {
    case JCS_GRAYSCALE:
      d.info.out_color_space = JCS_GRAYSCALE;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      d.info.out_color_space = JCS_CMYK;
      break;
    default:
      d.info.out_color_space = JCS_RGB;
      break;
  }
  jpeg_calc_output_dimensions(&d.info);
  return true;
}

// Between the phases: decode at 1 / denominator (libjpeg-turbo scales the inverse DCT). False when libjpeg refused.
bool set_scale(Decompressor& d, int denominator) {
  if (setjmp(d.handler.jump)) return false;
  d.info.scale_num = 1;
  d.info.scale_denom = static_cast<unsigned int>(denominator);
  jpeg_calc_output_dimensions(&d.info);
  return true;
}

// The largest denominator of 8, 4 and 2 whose output, ceil(side / denominator), keeps need_w x need_h; 1 if none.
int dct_denominator(int64_t width, int64_t height, int64_t need_w, int64_t need_h) {
  for (int denominator : {8, 4, 2}) {
    const int64_t w = (width + denominator - 1) / denominator, h = (height + denominator - 1) / denominator;
    if (w >= need_w && h >= need_h) return denominator;
  }
  return 1;
}

// Phase 2: the pixels, row by row, into `out` (height rows of width * components bytes).
bool read_pixels(Decompressor& d, unsigned char* out) {
  if (setjmp(d.handler.jump)) return false;
  jpeg_start_decompress(&d.info);
  const size_t stride = size_t(d.info.output_width) * size_t(d.info.output_components);
  while (d.info.output_scanline < d.info.output_height) {
    JSAMPROW row = out + size_t(d.info.output_scanline) * stride;
    jpeg_read_scanlines(&d.info, &row, 1);
  }
  jpeg_finish_decompress(&d.info);
  return true;
}

// CMYK -> RGB as ImageMagick, Pillow and browsers do without a colour profile: R = (1 - C)(1 - K), and so on.
// Adobe's writers store the inks inverted (the APP14 marker says so), where R = C K / 255 on the stored values.
torch::Tensor cmyk_to_rgb(const torch::Tensor& cmyk_hwc, bool inverted) {
  auto v = cmyk_hwc.to(torch::kInt32);
  if (!inverted) v = 255 - v;
  auto k = v.select(2, 3).unsqueeze(2);
  auto rgb = (v.narrow(2, 0, 3) * k + 127) / 255;  // rounded
  return rgb.to(torch::kUInt8);
}

struct Compressor {
  ErrorHandler handler;
  jpeg_compress_struct info{};
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  bool created = false;
  Compressor() { info.err = &install(handler)->mgr; }
  ~Compressor() {
    if (created) jpeg_destroy_compress(&info);
    std::free(buffer);  // jpeg_mem_dest's buffer is malloc'ed by libjpeg and left to the caller
  }
};

bool compress(Compressor& c, const unsigned char* pixels, int height, int width, int channels, int quality) {
  if (setjmp(c.handler.jump)) return false;
  jpeg_create_compress(&c.info);
  c.created = true;
  jpeg_mem_dest(&c.info, &c.buffer, &c.size);
  c.info.image_width = JDIMENSION(width);
  c.info.image_height = JDIMENSION(height);
  c.info.input_components = channels;
  c.info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c.info);
  jpeg_set_quality(&c.info, quality, TRUE);
  c.info.optimize_coding = TRUE;  // smaller files for a few percent more time
  jpeg_start_compress(&c.info, TRUE);
  const size_t stride = size_t(width) * size_t(channels);
  while (c.info.next_scanline < c.info.image_height) {
    auto row = const_cast<JSAMPROW>(pixels + size_t(c.info.next_scanline) * stride);
    jpeg_write_scanlines(&c.info, &row, 1);
  }
  jpeg_finish_compress(&c.info);
  return true;
}

}  // namespace

Decoded decode_jpeg(std::string_view bytes, const std::string& name, int64_t max_pixels, int min_width,
                    int min_height) {
  Decompressor d;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (!read_header(d, data, static_cast<unsigned long>(bytes.size()))) {
    throw Error(fmt::format("{}: cannot decode JPEG: {}", name, d.handler.message));
  }
  check_pixel_count(d.info.image_width, d.info.image_height, max_pixels, name);
  Decoded result;
  for (auto* m = d.info.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) {
      const int orientation = exif_orientation(m->data, m->data_length);
      if (orientation != 1) {
        result.orientation = orientation;
        break;
      }
    }
  }
  result.stored_width = d.info.image_width;
  result.stored_height = d.info.image_height;
  if (min_width > 0 || min_height > 0) {
    const bool swapped = result.orientation >= 5;  // the upright image's width is the stored height
    const int denominator = dct_denominator(d.info.image_width, d.info.image_height, swapped ? min_height : min_width,
                                            swapped ? min_width : min_height);
    if (denominator > 1 && !set_scale(d, denominator)) {
      throw Error(fmt::format("{}: cannot decode JPEG: {}", name, d.handler.message));
    }
    result.scale = denominator;
  }
  const int64_t h = d.info.output_height, w = d.info.output_width, c = d.info.output_components;
  auto hwc = torch::empty({h, w, c}, torch::kUInt8);
  if (!read_pixels(d, hwc.data_ptr<uint8_t>())) {
    throw Error(fmt::format("{}: cannot decode JPEG: {}", name, d.handler.message));
  }
  // libjpeg decodes through corrupt or truncated data, filling what is missing with grey; a photo half grey is not
  // what the user meant to colourize, so it is refused.
  if (d.handler.warning[0] != '\0') throw Error(fmt::format("{}: corrupt JPEG: {}", name, d.handler.warning));
  if (c == 4) hwc = cmyk_to_rgb(hwc, d.info.saw_Adobe_marker);
  result.pixels = hwc.permute({2, 0, 1}).contiguous();
  return result;
}

std::string encode_jpeg(const torch::Tensor& hwc, int quality) {
  Compressor c;
  if (!compress(c, hwc.data_ptr<uint8_t>(), int(hwc.size(0)), int(hwc.size(1)), int(hwc.size(2)), quality)) {
    throw Error(fmt::format("JPEG encoding failed: {}", c.handler.message));
  }
  return std::string(reinterpret_cast<const char*>(c.buffer), c.size);
}

}  // namespace tint::data::codecs
