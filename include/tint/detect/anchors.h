// Anchor boxes for one's own data, as darknet's `detector calc_anchors` and the YOLOv2 paper (section 2, "Dimension
// Clusters") choose them: k-means on the training boxes' (width, height) scaled to the network input, with the
// distance d = 1 - IoU of two boxes aligned at a common corner, so that large boxes do not dominate as they would
// with Euclidean distance. Seeded with k-means++ (D(x)^2 sampling with d), deterministic for a seed, then Lloyd's
// iterations (assign each box to its nearest centre, move each centre to its members' mean) until no box changes
// cluster. The quality measure is darknet's "avg IoU": the mean over boxes of the IoU with their best anchor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tint/data/detection_dataset.h"
#include "tint/detect/darknet_cfg.h"

namespace tint::detect {

// A box's size (or an anchor) in network-input pixels.
struct BoxSize {
  double w = 0, h = 0;
};

// IoU of two boxes of these sizes placed at the same corner: min(w) min(h) / (union).
double corner_iou(const BoxSize& a, const BoxSize& b);

// The mean over `boxes` of the largest corner_iou with any of `anchors` (darknet's "avg IoU"); 0 without boxes.
double average_best_iou(const std::vector<BoxSize>& boxes, const std::vector<BoxSize>& anchors);

// The sizes of every labelled box of `dataset` (difficult ones too, as darknet), scaled from each image's pixels to
// a `net_width` x `net_height` network input (the stretch darknet trains with).
std::vector<BoxSize> box_sizes(const data::DetectionDataset& dataset, int net_width, int net_height);

struct AnchorOptions {
  int num = 6;                // anchors (k)
  uint64_t seed = 0;          // of the k-means++ seeding
  int max_iterations = 1000;  // Lloyd's iterations at most (a safety net: they stop when no box moves)
};

struct AnchorFit {
  std::vector<BoxSize> anchors;  // sorted by area (then width), rounded to whole pixels (at least 1), as written
  double avg_iou = 0;            // average_best_iou of the boxes with `anchors` as rounded
  int iterations = 0;            // Lloyd's iterations run
  bool converged = false;        // no box changed cluster in the last one
};

// k-means with d = 1 - IoU. Throws tint::Error when num < 1 or there are fewer boxes than anchors. A cluster that
// empties takes the box farthest from its own centre (deterministically), so every anchor stays in use.
AnchorFit fit_anchors(const std::vector<BoxSize>& boxes, const AnchorOptions& options);

// "w,h, w,h, ..." with the whole-pixel anchors (as darknet's cfgs write them).
std::string format_anchors(const std::vector<BoxSize>& anchors);

// Rewrites every [yolo] section of `cfg` with `anchors` (sorted by area, smallest first): anchors= all of them,
// num= their count, and mask= a share of them per head in cfg order, the largest to the first head (the coarsest
// grid, Yolo-Fastest's and YOLOv3's layout: 3,4,5 then 0,1,2); with a count the heads do not divide, the first heads
// take one more. When a head's mask changes length, the convolution before it gets filters = (classes + 5) x mask
// (then the cfg's old weights no longer fit that layer). Throws tint::Error naming the cfg when it has no [yolo]
// section or more heads than anchors. Returns the masks per head.
std::vector<std::vector<int>> set_anchors(DarknetCfg& cfg, const std::vector<BoxSize>& anchors);

// The anchors of the cfg's first [yolo] section (every head lists all of them in darknet's cfgs).
std::vector<BoxSize> cfg_anchors(const DarknetCfg& cfg);

}  // namespace tint::detect
