#include "tint/report/draw.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::report {

void check_drawable(const torch::Tensor& image, const char* what) {
  if (image.defined() && image.dim() == 3 && image.size(0) == 3 && image.scalar_type() == torch::kUInt8 &&
      image.is_contiguous() && image.device().is_cpu()) {
    return;
  }
  const std::string got = !image.defined()
                              ? std::string("an undefined tensor")
                              : fmt::format("{} {}{}", c10::str(image.sizes()), c10::toString(image.scalar_type()),
                                            image.is_contiguous() ? "" : " (not contiguous)");
  throw Error(fmt::format("{}: expected a contiguous (3, H, W) uint8 RGB image on the CPU, got {}", what, got));
}

void fill_rectangle(const torch::Tensor& image, const PixelRect& rect, Rgb colour) {
  check_drawable(image, "fill_rectangle");
  const int64_t h = image.size(1), w = image.size(2);
  const int64_t x1 = std::max<int64_t>(rect.x1, 0), x2 = std::min(rect.x2, w);
  const int64_t y1 = std::max<int64_t>(rect.y1, 0), y2 = std::min(rect.y2, h);
  if (x1 >= x2 || y1 >= y2) return;
  const uint8_t values[3] = {colour.r, colour.g, colour.b};
  uint8_t* data = image.data_ptr<uint8_t>();
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t y = y1; y < y2; ++y) {
      uint8_t* row = data + (c * h + y) * w;
      std::fill(row + x1, row + x2, values[c]);
    }
  }
}

void draw_rectangle(const torch::Tensor& image, const PixelRect& rect, Rgb colour, int thickness) {
  if (thickness < 1) throw Error(fmt::format("draw_rectangle: thickness must be >= 1, got {}", thickness));
  check_drawable(image, "draw_rectangle");
  if (rect.x2 <= rect.x1 || rect.y2 <= rect.y1) return;
  // Clamped first, so that a corner far outside the image cannot overflow when the thickness is added.
  const int64_t h = image.size(1), w = image.size(2), t = thickness;
  const int64_t x1 = std::clamp<int64_t>(rect.x1, -t, w + t), x2 = std::clamp<int64_t>(rect.x2, -t, w + t);
  const int64_t y1 = std::clamp<int64_t>(rect.y1, -t, h + t), y2 = std::clamp<int64_t>(rect.y2, -t, h + t);
  fill_rectangle(image, {x1, y1, x2, std::min(y1 + t, y2)}, colour);  // top
  fill_rectangle(image, {x1, std::max(y2 - t, y1), x2, y2}, colour);  // bottom
  fill_rectangle(image, {x1, y1, std::min(x1 + t, x2), y2}, colour);  // left
  fill_rectangle(image, {std::max(x2 - t, x1), y1, x2, y2}, colour);  // right
}

double relative_luminance(Rgb colour) {
  auto linear = [](uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b);
}

double contrast_ratio(Rgb a, Rgb b) {
  const double la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

Rgb text_colour_on(Rgb background) {
  const Rgb black{0, 0, 0}, white{255, 255, 255};
  return contrast_ratio(background, black) >= contrast_ratio(background, white) ? black : white;
}

}  // namespace tint::report
