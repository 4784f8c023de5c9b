// Square crops of photos brought to one scale: the examples a colourizer trains on when it learns from photos
// (train/photo_set.h) rather than from CIFAR-10's 32 x 32 thumbnails.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace tint::data {

// A side x side square of a photo, in the photo's own pixels, mirrored left-right or not.
struct CropWindow {
  int64_t top = 0, left = 0, side = 0;
  bool flip = false;
};

// photo (3, H, W) uint8 -> the window shrunk to (3, out, out) uint8 by area averaging (torch's interpolate in area
// mode, as `tint colourize` shrinks a photo to the working size, so that training sees what colourizing will),
// rounded to the nearest level; a window smaller than `out` is enlarged bilinearly. Throws tint::Error for a window
// outside the photo.
torch::Tensor crop_resized(const torch::Tensor& photo, const CropWindow& window, int64_t out);

// True for a photo without colour: one channel, or three whose spread (max - min of R, G, B) averages under half a
// level over the pixels (a grey photo saved as RGB JPEG keeps equal channels up to rounding).
bool is_grey_photo(const torch::Tensor& photo);

}  // namespace tint::data
