// A photo read at a reduced size, for a consumer that needs only so many pixels (the detector's 320 x 320 input):
// a JPEG is decoded with libjpeg-turbo's DCT scaling, which reconstructs each 8 x 8 block at 4 x 4, 2 x 2 or 1 x 1
// pixels and so skips most of the inverse DCT, the upsampling and the colour conversion. The pixels differ from a
// full decode shrunk afterwards (each reduced pixel is its block's low frequencies, a box-like average).
#pragma once

#include <cstdint>
#include <filesystem>

#include <torch/types.h>

#include "tint/data/image_io.h"

namespace tint::data {

struct ReducedImage {
  torch::Tensor pixels;           // (C, h, w) uint8, C = 1 or 3, upright (EXIF orientation applied)
  int64_t width = 0, height = 0;  // the photo's own size, upright, as read_image gives it
  int scale = 1;                  // pixels is the photo decoded at 1 / scale: 1, 2, 4 or 8
};

// read_image(), except that a JPEG is decoded at the smallest of 1/8, 1/4 and 1/2 of its size whose result keeps at
// least min_width x min_height pixels upright (libjpeg's size: ceil(side / scale)); whole when even 1/2 is smaller,
// or when both are 0. PNG and WebP are decoded whole (scale 1). Throws tint::Error as read_image does, and for a
// negative minimum.
ReducedImage read_image_reduced(const std::filesystem::path& path, int min_width, int min_height,
                                const ReadOptions& options = {});

}  // namespace tint::data
