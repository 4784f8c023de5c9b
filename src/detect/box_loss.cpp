#include "tint/detect/box_loss.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <cmath>

#include "tint/core/error.h"

namespace tint::detect {

IouKind iou_kind_from_name(const std::string& name) {
  if (name == "iou") return IouKind::iou;
  if (name == "giou") return IouKind::giou;
  if (name == "diou") return IouKind::diou;
  if (name == "ciou") return IouKind::ciou;
  throw Error(fmt::format("iou_loss: expected iou, giou, diou or ciou, got '{}'", name));
}

const char* iou_kind_name(IouKind kind) {
  switch (kind) {
    case IouKind::iou:
      return "iou";
    case IouKind::giou:
      return "giou";
    case IouKind::diou:
      return "diou";
    case IouKind::ciou:
      return "ciou";
  }
  return "?";
}

torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b, IouKind kind) {
  if (a.dim() < 1 || a.size(-1) != 4 || b.dim() < 1 || b.size(-1) != 4)
    throw Error(fmt::format("box_iou: expected boxes [..., 4] (x1, y1, x2, y2), got {} and {}",
                            fmt::join(a.sizes(), "x"), fmt::join(b.sizes(), "x")));
  // yolov5's epsilon: small against any box of a pixel or more, large enough that float32 divisions stay finite.
  constexpr double eps = 1e-7;
  const auto ax1 = a.select(-1, 0), ay1 = a.select(-1, 1), ax2 = a.select(-1, 2), ay2 = a.select(-1, 3);
  const auto bx1 = b.select(-1, 0), by1 = b.select(-1, 1), bx2 = b.select(-1, 2), by2 = b.select(-1, 3);
  const auto aw = (ax2 - ax1).clamp_min(0), ah = (ay2 - ay1).clamp_min(0);
  const auto bw = (bx2 - bx1).clamp_min(0), bh = (by2 - by1).clamp_min(0);
  const auto inter = (torch::minimum(ax2, bx2) - torch::maximum(ax1, bx1)).clamp_min(0) *
                     (torch::minimum(ay2, by2) - torch::maximum(ay1, by1)).clamp_min(0);
  const auto union_area = aw * ah + bw * bh - inter;
  const auto iou = inter / (union_area + eps);
  if (kind == IouKind::iou) return iou;

  // The enclosing box C.
  const auto cw = (torch::maximum(ax2, bx2) - torch::minimum(ax1, bx1)).clamp_min(0);
  const auto ch = (torch::maximum(ay2, by2) - torch::minimum(ay1, by1)).clamp_min(0);
  if (kind == IouKind::giou) {
    const auto c_area = cw * ch;
    return iou - (c_area - union_area) / (c_area + eps);
  }
  const auto c2 = cw * cw + ch * ch;
  // Squared distance of the centres: each centre is (x1 + x2) / 2.
  const auto rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4;
  const auto diou = iou - rho2 / (c2 + eps);
  if (kind == IouKind::diou) return diou;

  // The epsilon under each height keeps atan's argument finite for a flat box (its aspect angle is then pi/2).
  const auto v = (4 / (M_PI * M_PI)) * (torch::atan(bw / (bh + eps)) - torch::atan(aw / (ah + eps))).pow(2);
  const auto alpha = (v / (v - iou + (1 + eps))).detach();
  return diou - alpha * v;
}

}  // namespace tint::detect
