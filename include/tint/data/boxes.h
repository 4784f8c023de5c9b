// Axis-aligned boxes in pixels, as detection uses them: ground truth read from label files, detections made by a
// model. Corners (x1, y1) top-left and (x2, y2) bottom-right, continuous coordinates (a box covering pixel columns
// 0..9 has x1 = 0, x2 = 10).
#pragma once

#include <algorithm>

namespace tint::data {

struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return std::max(0.0f, x2 - x1); }
  float height() const { return std::max(0.0f, y2 - y1); }
  float area() const { return width() * height(); }
};

// Intersection over union; 0 when both boxes are empty.
inline float iou(const Box& a, const Box& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0.0f;
  const float inter = w * h;
  return inter / (a.area() + b.area() - inter);
}

// One annotated object. `difficult` is Pascal VOC's flag: such objects neither count as misses nor as matches.
struct LabelledBox {
  Box box;
  int class_id = 0;
  bool difficult = false;
};

// One object a detector found.
struct Detection {
  Box box;
  int class_id = 0;
  float score = 0;
};

}  // namespace tint::data
