#include "tint/detect/draw_detections.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"

namespace tint::detect {
namespace {

constexpr std::array<report::Rgb, kClassColourCount> kKellyColours = {{
    {0xF3, 0xC3, 0x00},  // vivid yellow
    {0x87, 0x56, 0x92},  // strong purple
    {0xF3, 0x84, 0x00},  // vivid orange
    {0xA1, 0xCA, 0xF1},  // very light blue
    {0xBE, 0x00, 0x32},  // vivid red
    {0x00, 0x88, 0x56},  // vivid green
    {0xE6, 0x8F, 0xAC},  // strong purplish pink
    {0x00, 0x67, 0xA5},  // strong blue
    {0xF9, 0x93, 0x79},  // strong yellowish pink
    {0x60, 0x4E, 0x97},  // strong violet
    {0xF6, 0xA6, 0x00},  // vivid orange yellow
    {0xB3, 0x44, 0x6C},  // strong purplish red
    {0xDC, 0xD3, 0x00},  // vivid greenish yellow
    {0x88, 0x2D, 0x17},  // strong reddish brown
    {0x8D, 0xB6, 0x00},  // vivid yellowish green
    {0x65, 0x45, 0x22},  // deep yellowish brown
    {0xE2, 0x58, 0x22},  // vivid reddish orange
    {0x2B, 0x3D, 0x26},  // dark olive green
}};

// Image pixels from a box coordinate. Far-away values are pulled in first (draw_rectangle clips the rest), so a
// huge coordinate cannot overflow the conversion.
int64_t box_edge_pixel(float v) { return std::lround(std::clamp(v, -1.0e7f, 1.0e7f)); }

}  // namespace

DrawStyle draw_style(int64_t width, int64_t height, const DrawOptions& options) {
  if (options.line_thickness < 0 || options.label_pixel_size < 0) {
    throw Error(fmt::format("draw_detections: line thickness ({}) and label size ({}) must be >= 0 (0: automatic)",
                            options.line_thickness, options.label_pixel_size));
  }
  const double side = std::sqrt(double(std::max<int64_t>(width, 1)) * double(std::max<int64_t>(height, 1)));
  DrawStyle style;
  style.line_thickness =
      options.line_thickness > 0 ? options.line_thickness : std::max(2, int(std::lround(side * 0.003)));
  style.label_pixel_size =
      options.label_pixel_size > 0 ? options.label_pixel_size : std::max(12, int(std::lround(side * 0.022)));
  style.label_pixel_size = std::min(style.label_pixel_size, report::kMaxTextPixelSize);
  style.label_pad_x = std::max(2, int(std::lround(style.label_pixel_size * 0.2)));
  style.label_pad_y = std::max(1, int(std::lround(style.label_pixel_size * 0.08)));
  return style;
}

report::Rgb class_colour(int class_id) {
  const int n = kClassColourCount;
  return kKellyColours[size_t(((class_id % n) + n) % n)];
}

std::string detection_label(const data::Detection& detection, const std::vector<std::string>& class_names) {
  const int id = detection.class_id;
  if (class_names.empty()) return fmt::format("{} {:.2f}", id, detection.score);
  if (id < 0 || size_t(id) >= class_names.size()) {
    throw Error(fmt::format("draw_detections: class id {} is outside the {} class names", id, class_names.size()));
  }
  return fmt::format("{} {:.2f}", class_names[size_t(id)], detection.score);
}

torch::Tensor draw_detections(const torch::Tensor& image, const std::vector<data::Detection>& detections,
                              const std::vector<std::string>& class_names, const DrawOptions& options) {
  if (!image.defined() || image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3)) {
    throw Error(fmt::format("draw_detections: expected a (C, H, W) image with C = 1 or 3, got {}",
                            image.defined() ? c10::str(image.sizes()) : std::string("an undefined tensor")));
  }
  const bool with_ids = options.ids != nullptr && !options.ids->empty();
  if (with_ids && options.ids->size() != detections.size()) {
    throw Error(fmt::format("draw_detections: {} ids for {} detections", options.ids->size(), detections.size()));
  }
  // Everything is checked before anything is drawn.
  std::vector<std::string> labels(detections.size());
  for (size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    const auto& b = d.box;
    if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) || !std::isfinite(b.y2) ||
        !std::isfinite(d.score)) {
      throw Error(
          fmt::format("draw_detections: detection {} has a box ({}, {}, {}, {}) or score {} that is not "
                      "finite",
                      i, b.x1, b.y1, b.x2, b.y2, d.score));
    }
    labels[i] = detection_label(d, class_names);
    if (with_ids) labels[i] = fmt::format("#{} {}", (*options.ids)[i], labels[i]);
  }
  const DrawStyle style = draw_style(image.size(2), image.size(1), options);
  const report::Font& font = options.font != nullptr ? *options.font : report::label_font();

  // A copy, always (to_bytes returns a uint8 image itself).
  const int64_t height = image.size(1), width = image.size(2);
  auto canvas = torch::empty({3, height, width}, torch::kUInt8);
  canvas.copy_(data::to_bytes(image.cpu()).expand({3, height, width}));

  std::vector<size_t> order(detections.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return detections[a].score < detections[b].score; });
  auto pixels = [](const data::Box& b) {
    return report::PixelRect{box_edge_pixel(b.x1), box_edge_pixel(b.y1), box_edge_pixel(b.x2), box_edge_pixel(b.y2)};
  };
  for (size_t i : order) {
    report::draw_rectangle(canvas, pixels(detections[i].box), class_colour(detections[i].class_id),
                           style.line_thickness);
  }
  if (!options.labels) return canvas;
  // Labels after every box, so that no box line crosses a label.
  for (size_t i : order) {
    const report::PixelRect box = pixels(detections[i].box);
    // An empty box, or one wholly off the image, has no label to show.
    if (box.x2 <= box.x1 || box.y2 <= box.y1 || box.x2 <= 0 || box.y2 <= 0 || box.x1 >= width || box.y1 >= height) {
      continue;
    }
    const report::TextExtent text = font.measure(labels[i], style.label_pixel_size);
    const int64_t w = text.width + 2 * style.label_pad_x, h = text.height() + 2 * style.label_pad_y;
    int64_t x = std::max<int64_t>(std::min(box.x1, width - w), 0);
    int64_t y = box.y1 - h;
    if (y < 0) y = std::max<int64_t>(box.y1, 0);  // no room above: inside the box, at its top
    const report::Rgb background = class_colour(detections[i].class_id);
    report::fill_rectangle(canvas, {x, y, x + w, y + h}, background);
    font.draw(canvas, labels[i], x + style.label_pad_x, y + style.label_pad_y, style.label_pixel_size,
              report::text_colour_on(background));
  }
  return canvas;
}

}  // namespace tint::detect
