// The YOLO training loss over a network's [yolo] heads: targets assigned to anchors as AlexeyAB/darknet's
// forward_yolo_layer (src/yolo_layer.c) assigns them, the terms written as ultralytics/yolov5's ComputeLoss
// (utils/loss.py) writes them (BCE-with-logits for objectness and classes, an IoU-family box loss).
//
// Assignment, per truth and per head (each head decides alone, from its own all_anchors and mask):
//   - the best anchor: the first of all_anchors with the largest shape IoU (both boxes centred at the origin) with
//     the truth; when the head's mask holds it, that anchor of the cell containing the truth's centre learns it;
//   - every other anchor of the mask whose shape IoU exceeds iou_thresh (darknet's iou_thresh, iou_thresh_kind=iou)
//     learns it too, in the same cell.
//   A truth whose best anchor no head's mask holds is learnt only through iou_thresh, as in darknet (counted in
//   YoloLoss::unassigned_truths when not at all). Pascal VOC's `difficult` truths are never learnt as objects, but,
//   like the others, they keep the predictions overlapping them from being pushed towards "no object".
//   Two truths on one cell and anchor are both learnt: that prediction receives both box terms and both class terms
//   (each a one-hot of its own class), so it is pulled towards their compromise, and its objectness target is 1
//   (with objectness_iou_target, the larger of the two IoUs). darknet instead merges the classes into a multi-hot
//   target and averages the box pulls; yolov5 keeps both terms as here but lets the last truth's IoU win the
//   objectness target. Either way here, the loss does not depend on the order of the truths.
//
// Terms (logits are the raw head channels; all three use the head's normalizers):
//   box            iou_normalizer * (1 - M(decoded prediction, truth)) per assignment, M the head's iou_loss
//                  (iou, giou, diou, ciou: box_loss.h); darknet's old "mse" is refused;
//   objectness     obj_normalizer * BCE-with-logits on every prediction: target 1 at assigned anchors (darknet's;
//                  yolov5 uses the IoU, see YoloLossOptions), 0 elsewhere, except that a prediction whose decoded box
//                  overlaps any truth of its image by IoU > ignore_thresh is left out (darknet's ignore; darknet also
//                  asks that one of its class probabilities exceed 0.25, not done here);
//   classification cls_normalizer * BCE-with-logits of each assigned prediction's C class logits against a one-hot
//                  target (D.2), optionally label-smoothed.
// Normalisation: each term is summed over the image (box and class over its assignments and classes, objectness
// over all its predictions), as darknet sums its deltas, then averaged over the images of the batch, as darknet's
// learning_rate / batch does. A batch of 64 copies of one image therefore has that image's loss, and neither the loss
// nor a parameter's gradient grows with the batch size; the cfg's normalizers keep the meaning darknet gives them.
// Not supported, refused with an Error: truth_thresh < 1 (darknet's positive-by-overlap rule) and iou_loss=mse.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"
#include "tint/detect/box_loss.h"
#include "tint/detect/yolo_head.h"

namespace tint::detect {

struct YoloLossOptions {
  // Class targets become 1 - eps/2 and eps/2 (darknet's label_smooth_eps, yolov5's smooth_bce).
  float label_smoothing = 0.0f;
  // false: objectness target 1 at assigned anchors (darknet, and how the pretrained Yolo-Fastest was trained);
  // true: the detached box measure clamped at 0 (yolov5), so objectness learns to predict the box quality.
  bool objectness_iou_target = false;
  // Empty: each head's own iou_loss; else one of iou, giou, diou, ciou for every head.
  std::string iou_loss;
};

struct GridSize {
  int64_t h = 0, w = 0;
};

// One (truth, anchor) pair that is learnt.
struct TargetAssignment {
  int image = 0;  // in the batch
  int truth = 0;  // in that image's vector of truths
  int head = 0;
  int anchor = 0;  // position in the head's mask (0 .. A-1), the channel block anchor * (5 + C)
  int64_t row = 0, col = 0;
  bool best = true;  // false: an extra anchor, learnt because its shape IoU exceeds iou_thresh
};

// Every (truth, anchor) pair learnt, in the order (image, truth, head, anchor). `grids` are the heads' H x W;
// truths are in network-input pixels (input_w x input_h). Refuses, naming the image and truth, a truth with a
// class outside a head's classes, an empty or non-finite box, or a centre outside the input.
std::vector<TargetAssignment> assign_targets(const std::vector<YoloHead>& heads, const std::vector<GridSize>& grids,
                                             const std::vector<std::vector<data::LabelledBox>>& targets, int input_w,
                                             int input_h);

struct YoloLoss {
  torch::Tensor box, objectness, classification, total;  // scalars, differentiable w.r.t. the raw heads
  int64_t assignments = 0;                               // (truth, anchor) pairs learnt
  int64_t unassigned_truths = 0;                         // non-difficult truths that no anchor of any head learns
  int64_t ignored = 0;  // unassigned predictions that ignore_thresh leaves out of the objectness term
};

// raw_heads[i]: head i's input [N, A*(5+C), H, W] (yolo_head.h); targets: per image of the batch, its truths in
// network-input pixels. Errors name the head or the image and truth at fault.
YoloLoss compute_yolo_loss(const std::vector<torch::Tensor>& raw_heads, const std::vector<YoloHead>& heads,
                           const std::vector<std::vector<data::LabelledBox>>& targets, int input_w, int input_h,
                           const YoloLossOptions& options = {});

}  // namespace tint::detect
