// A darknet [yolo] layer: the anchors one detection head predicts with, and how its raw outputs become boxes.
// Its input is the preceding convolution's output, [N, A*(5+C), H, W], each anchor's channels in darknet's order:
// tx, ty, tw, th, objectness, then C class logits (src/yolo_layer.c, entry_index).
#pragma once

#include <array>
#include <string>
#include <vector>

#include <torch/types.h>

namespace tint::detect {

struct YoloHead {
  std::vector<std::array<float, 2>> anchors;  // (w, h) in network-input pixels: the masked anchors, in mask order
  std::vector<int> mask;                      // their indices in `all_anchors`
  std::vector<std::array<float, 2>> all_anchors;
  int num_classes = 80;
  float scale_x_y = 1.0f;  // centre = (cell + sigmoid(t) * s - (s - 1) / 2) / grid
  // Training settings as darknet (AlexeyAB) names them; defaults as its parser's.
  float ignore_thresh = 0.5f;  // a prediction overlapping a truth by more is not pushed towards "no object"
  float truth_thresh = 1.0f;
  float iou_thresh = 1.0f;  // besides the best anchor, every anchor whose shape IoU with a truth exceeds this learns it
  float iou_normalizer = 0.75f, obj_normalizer = 1.0f, cls_normalizer = 1.0f;
  std::string iou_loss = "mse";  // mse, iou, giou, diou or ciou

  int num_anchors() const { return static_cast<int>(anchors.size()); }
  int channels() const { return num_anchors() * (5 + num_classes); }
};

// A head's outputs as boxes, all anchors and cells flattened in (anchor, row, column) order:
//   boxes [N, A*H*W, 4]: x1, y1, x2, y2 in network-input pixels;
//   objectness [N, A*H*W] and class_probs [N, A*H*W, C]: sigmoids, as darknet's yolo layer applies them.
struct DecodedHead {
  torch::Tensor boxes, objectness, class_probs;
};

// `raw` is the head's input [N, A*(5+C), H, W]; the network input is input_w x input_h pixels.
DecodedHead decode(const torch::Tensor& raw, const YoloHead& head, int input_w, int input_h);

}  // namespace tint::detect
