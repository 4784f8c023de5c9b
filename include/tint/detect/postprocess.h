// From a detector's raw head outputs to the objects it found: candidates above a confidence, class-aware
// non-maximum suppression, and boxes mapped back from the network input to the original image.
#pragma once

#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"
#include "tint/detect/yolo_head.h"

namespace tint::detect {

struct PostprocessOptions {
  float conf = 0.25f;        // keep (box, class) pairs with objectness x class probability >= conf
  float iou = 0.45f;         // within a class, drop a box overlapping a higher-scored one by more than this
  int max_detections = 300;  // per image, best first
};

// Candidates of one image: every (box, class) whose score objectness x class probability reaches `conf`, as
// darknet's get_yolo_detections keeps them (one box may stand for several classes).
std::vector<data::Detection> candidates(const std::vector<DecodedHead>& heads, int64_t image, float conf);

// Greedy non-maximum suppression within each class: detections in descending score (ties: earlier first) are kept
// unless one kept before, of the same class, overlaps them by IoU > iou. Returns the kept ones, best first.
std::vector<data::Detection> nms(std::vector<data::Detection> detections, float iou);

// All of it, per image of the batch: boxes in network-input pixels (input_w x input_h).
std::vector<std::vector<data::Detection>> postprocess(const std::vector<torch::Tensor>& raw_heads,
                                                      const std::vector<YoloHead>& heads, int input_w, int input_h,
                                                      const PostprocessOptions& options);

}  // namespace tint::detect
