// The images of a fine-tuning run, decoded once and kept at the network's input size (uint8: a quarter of float's
// memory), so that an epoch costs augmentation and the network, not JPEG decoding. Private to src/detect.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "tint/data/boxes.h"
#include "tint/data/detection_dataset.h"
#include "tint/detect/network_input.h"

namespace tint::detect {

struct CachedImage {
  torch::Tensor pixels;                  // (3, S, S) uint8
  std::vector<data::LabelledBox> boxes;  // in network-input pixels
};

// Every image of `set` stretched to side x side (as darknet trains) with `resample`, its boxes scaled alike. `progress(done, total)`
// is called after each image.
std::vector<CachedImage> cache_images(const data::DetectionDataset& set, int side, Resample resample,
                                      const std::function<void(int64_t, int64_t)>& progress);

}  // namespace tint::detect
