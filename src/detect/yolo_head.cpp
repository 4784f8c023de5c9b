#include "tint/detect/yolo_head.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::detect {

DecodedHead decode(const torch::Tensor& raw, const YoloHead& head, int input_w, int input_h) {
  const int64_t a = head.num_anchors(), c = head.num_classes;
  if (raw.dim() != 4 || raw.size(1) != a * (5 + c))
    throw Error(fmt::format("yolo head: expected [N, {}, H, W] ({} anchors x (5 + {} classes)), got {}", a * (5 + c), a,
                            c, fmt::join(raw.sizes(), "x")));
  const int64_t n = raw.size(0), h = raw.size(2), w = raw.size(3);
  // [N, A, 5+C, H, W] -> [N, A, H, W, 5+C]
  const auto t = raw.to(torch::kFloat).view({n, a, 5 + c, h, w}).permute({0, 1, 3, 4, 2});
  const float s = head.scale_x_y;
  const auto cols = torch::arange(w, torch::kFloat).view({1, 1, 1, w});
  const auto rows = torch::arange(h, torch::kFloat).view({1, 1, h, 1});
  const auto cx = (cols + torch::sigmoid(t.select(4, 0)) * s - 0.5f * (s - 1)) * (float(input_w) / w);
  const auto cy = (rows + torch::sigmoid(t.select(4, 1)) * s - 0.5f * (s - 1)) * (float(input_h) / h);
  std::vector<float> anchor_data;
  for (const auto& an : head.anchors) anchor_data.insert(anchor_data.end(), an.begin(), an.end());
  const auto anchors = torch::tensor(anchor_data).view({1, a, 1, 1, 2});
  const auto bw = torch::exp(t.select(4, 2)) * anchors.select(4, 0);
  const auto bh = torch::exp(t.select(4, 3)) * anchors.select(4, 1);
  DecodedHead out;
  out.boxes = torch::stack({cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2}, -1).reshape({n, a * h * w, 4});
  out.objectness = torch::sigmoid(t.select(4, 4)).reshape({n, a * h * w});
  out.class_probs = torch::sigmoid(t.narrow(4, 5, c)).reshape({n, a * h * w, c});
  return out;
}

}  // namespace tint::detect
