// The image codecs behind data/image_io.h: libjpeg-turbo, libpng and libwebp, each decoding into a tensor that the
// caller allocates only after the header's size has passed the pixel limit. Private to the data layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <torch/types.h>

namespace tint::data::codecs {

// A decoded image: (C, H, W) uint8 with C = 1 or 3, and the EXIF orientation (1-8, 1 when absent) still to apply.
struct Decoded {
  torch::Tensor pixels;
  int orientation = 1;
  int64_t stored_width = 0, stored_height = 0;  // the file's size (as stored, before the orientation)
  int scale = 1;                                // pixels is the image at 1 / scale (decode_jpeg's DCT scaling)
};

// Each throws tint::Error("<name>: ...") with the library's own reason, or the size and the limit when the header
// declares more than max_pixels pixels (checked before any pixel buffer is allocated).
// decode_jpeg with min_width or min_height > 0 decodes at the smallest DCT scale of 1/8, 1/4 and 1/2 that keeps at
// least min_width x min_height pixels upright (orientations 5-8 swap the sides), and whole when none does.
Decoded decode_jpeg(std::string_view bytes, const std::string& name, int64_t max_pixels, int min_width = 0,
                    int min_height = 0);
Decoded decode_png(std::string_view bytes, const std::string& name, int64_t max_pixels);
Decoded decode_webp(std::string_view bytes, const std::string& name, int64_t max_pixels);

// image: (C, H, W) uint8, C = 1 or 3, contiguous in (H, W, C) order as `hwc`.
std::string encode_png(const torch::Tensor& hwc, int compression_level);
std::string encode_jpeg(const torch::Tensor& hwc, int quality);

// The orientation stored in an EXIF block ("Exif\0\0" and a TIFF header, as in a JPEG's APP1 segment), 1 when the
// block has none or cannot be read: a damaged EXIF block does not make the photo unreadable.
int exif_orientation(const unsigned char* data, size_t size);

// (H, W, C) uint8 with alpha last (C = 2 or 4) -> without it, composited onto white in 8-bit sRGB values, as
// browsers do: out = (v a + 255 (255 - a)) / 255, rounded. Transparent pixels become white, not what they hide.
torch::Tensor composite_on_white(const torch::Tensor& hwc);

// "<name>: image is W x H = N pixels, more than the limit of L (--max-pixels raises it)" when w * h > max_pixels.
void check_pixel_count(int64_t width, int64_t height, int64_t max_pixels, const std::string& name);

}  // namespace tint::data::codecs
