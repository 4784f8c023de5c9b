#include "pixel_layout.h"

namespace tint::video {

void packed_to_planar(const uint8_t* packed, int64_t stored_height, int64_t stored_width, int64_t row_bytes,
                      int clockwise, uint8_t* planar) {
  const bool turned = clockwise == 90 || clockwise == 270;
  const int64_t height = turned ? stored_width : stored_height, width = turned ? stored_height : stored_width;
  const int64_t plane = height * width;
  uint8_t* r = planar;
  uint8_t* g = planar + plane;
  uint8_t* b = planar + 2 * plane;
  if (clockwise == 0) {  // nearly every video: one pass in memory order
    for (int64_t y = 0; y < height; ++y) {
      const uint8_t* row = packed + y * row_bytes;
      const int64_t at = y * width;
      for (int64_t x = 0; x < width; ++x) {
        r[at + x] = row[3 * x];
        g[at + x] = row[3 * x + 1];
        b[at + x] = row[3 * x + 2];
      }
    }
    return;
  }
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      // The stored pixel shown at (y, x) once the picture is turned clockwise.
      int64_t sy = stored_height - 1 - y, sx = stored_width - 1 - x;  // 180
      if (clockwise == 90) {
        sy = stored_height - 1 - x;
        sx = y;
      } else if (clockwise == 270) {
        sy = x;
        sx = stored_width - 1 - y;
      }
      const uint8_t* p = packed + sy * row_bytes + sx * 3;
      const int64_t at = y * width + x;
      r[at] = p[0];
      g[at] = p[1];
      b[at] = p[2];
    }
  }
}

void planar_to_packed(const uint8_t* planar, int64_t height, int64_t width, uint8_t* packed) {
  const int64_t plane = height * width;
  const uint8_t* r = planar;
  const uint8_t* g = planar + plane;
  const uint8_t* b = planar + 2 * plane;
  for (int64_t at = 0; at < plane; ++at) {
    packed[3 * at] = r[at];
    packed[3 * at + 1] = g[at];
    packed[3 * at + 2] = b[at];
  }
}

}  // namespace tint::video
