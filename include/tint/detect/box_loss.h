// Overlap measures between boxes, differentiable, for the YOLO box loss (1 - measure):
//   IoU:  |A ∩ B| / |A ∪ B|;
//   GIoU: IoU - |C \ (A ∪ B)| / |C|, C the smallest box enclosing both (Rezatofighi et al. 2019, "Generalized
//         Intersection over Union", CVPR, Algorithm 1);
//   DIoU: IoU - ρ²(centres) / c², c the diagonal of C (Zheng et al. 2020, "Distance-IoU Loss", AAAI);
//   CIoU: DIoU - α v, v = 4/π² (atan(w_B/h_B) - atan(w_A/h_A))², α = v / ((1 - IoU) + v) (same paper).
// α is a trade-off weight, not differentiated through (the paper's gradient differentiates only v; the
// authors' code and ultralytics/yolov5's bbox_iou compute it under no_grad), so CIoU's gradient is that of
// DIoU - α₀ v with α₀ the value at the point.
// Degenerate boxes are safe: widths and heights below zero count as zero, and a small epsilon (1e-7, yolov5's) keeps
// every division finite, so two zero-size boxes have IoU 0 and finite gradients, never NaN.
#pragma once

#include <string>

#include <torch/types.h>

namespace tint::detect {

enum class IouKind { iou, giou, diou, ciou };

// "iou", "giou", "diou" or "ciou", as darknet's iou_loss names them; anything else is an Error naming the choices.
IouKind iou_kind_from_name(const std::string& name);
const char* iou_kind_name(IouKind kind);

// a, b: boxes [..., 4] as x1, y1, x2, y2, broadcast against each other (for every pair of [M, 4] and [T, 4], pass
// a.unsqueeze(1) and b.unsqueeze(0)); returns the measure over the broadcast leading dimensions [...].
torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b, IouKind kind = IouKind::iou);

}  // namespace tint::detect
