// Training-time augmentation for detection, as darknet and YOLOv5 apply it: a random scale and translation (the
// boxes moved with the pixels, cut at the edges, dropped when little is left), a horizontal flip, and hue /
// saturation / value jitter. Every draw comes from a generator the caller seeds, so an epoch is reproducible.
#pragma once

#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"

namespace tint::detect {

struct AugmentOptions {
  float flip = 0.5f;          // probability of a horizontal flip
  float scale = 0.25f;        // zoom factor drawn from [1 - scale, 1 + scale]
  float translate = 0.1f;     // shift drawn from [-translate, translate] of each side
  float hue = 0.015f;         // hue shift drawn from [-hue, hue] of a full turn (YOLOv5's hsv_h)
  float saturation = 0.7f;    // saturation times [1 - saturation, 1 + saturation] (hsv_s)
  float value = 0.4f;         // value times [1 - value, 1 + value] (hsv_v)
  float min_visible = 0.25f;  // a box keeps at least this fraction of its area inside the image, else it is dropped
  float min_side = 2.0f;      // ... and both sides at least this many pixels
};

struct AugmentedImage {
  torch::Tensor pixels;  // (3, H, W) float in [0, 1]
  std::vector<data::LabelledBox> boxes;
};

// pixels: (3, H, W) float in [0, 1]; boxes in its pixels. Areas uncovered by a zoom out or shift are grey 0.5.
AugmentedImage augment(const torch::Tensor& pixels, const std::vector<data::LabelledBox>& boxes,
                       const AugmentOptions& options, torch::Generator& generator);

// RGB <-> HSV, (3, H, W) in [0, 1] with hue in [0, 1) (a full turn). Exposed for the tests.
torch::Tensor rgb_to_hsv(const torch::Tensor& rgb);
torch::Tensor hsv_to_rgb(const torch::Tensor& hsv);

}  // namespace tint::detect
