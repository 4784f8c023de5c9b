// Between FFmpeg's packed RGB (H, W, 3) and tint's planar images (3, H, W), by plain loops rather than LibTorch's
// permute + contiguous: the video pipeline's reader and writer threads call these, and a LibTorch operator there
// would start an OpenMP team per thread, whose spinning workers take the cores the network needs (transcode.cpp).
#pragma once

#include <cstdint>

namespace tint::video {

// `packed` (stored_height rows of stored_width RGB pixels, `row_bytes` apart) turned `clockwise` degrees (0, 90, 180,
// 270) into `planar` (3, H, W), where H x W is stored_height x stored_width, or its transpose for a quarter turn.
void packed_to_planar(const uint8_t* packed, int64_t stored_height, int64_t stored_width, int64_t row_bytes,
                      int clockwise, uint8_t* planar);

// `planar` (3, H, W) into `packed` (H, W, 3).
void planar_to_packed(const uint8_t* planar, int64_t height, int64_t width, uint8_t* packed);

}  // namespace tint::video
