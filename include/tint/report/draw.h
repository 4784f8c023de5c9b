// Drawing on images: filled and outlined rectangles, and the text colour that reads on a background. Images are
// tint's decoded form, (3, H, W) uint8 RGB (data::read_image), drawn on in place; everything is clipped to the
// image, so shapes partly or wholly outside it are fine. Text is in text.h.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace tint::report {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

// Rectangles are in whole pixels, half-open as data::Box's corners are: columns x1 .. x2 - 1, rows y1 .. y2 - 1.
// Empty when x2 <= x1 or y2 <= y1.
struct PixelRect {
  int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// Throws tint::Error, naming `what`, unless `image` is a contiguous (3, H, W) uint8 tensor: the pixels are written
// through its data, so a view with other strides would be drawn wrong.
void check_drawable(const torch::Tensor& image, const char* what);

void fill_rectangle(const torch::Tensor& image, const PixelRect& rect, Rgb colour);

// The outline of `rect`, `thickness` (>= 1) pixels wide, inside it: the outermost ring of pixels is rect's own
// border, so a box drawn around an object never covers more than the object's box. A rectangle thinner than twice
// the thickness comes out filled.
void draw_rectangle(const torch::Tensor& image, const PixelRect& rect, Rgb colour, int thickness);

// WCAG 2's relative luminance of an sRGB colour (0 black .. 1 white), and the contrast ratio of two colours
// ((L1 + 0.05) / (L2 + 0.05), lighter over darker: 1 .. 21).
double relative_luminance(Rgb colour);
double contrast_ratio(Rgb a, Rgb b);

// Black or white, whichever contrasts more with `background` (text on a filled label).
Rgb text_colour_on(Rgb background);

}  // namespace tint::report
