// What `tint detect` reports of one photo: its detections as JSON (NAME_detections.json) and a one-line summary.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tint/data/boxes.h"
#include "tint/detect/detector.h"

namespace tint::detect {

// The facts of a detection beside its boxes: the photo (its file and size) and the model and settings that found
// them.
struct DetectionContext {
  std::filesystem::path image;
  int64_t width = 0, height = 0;       // the photo's, in pixels
  std::filesystem::path cfg, weights;  // the model's files
  std::pair<int, int> input;           // the network input (width, height)
  DetectOptions options;               // resize, resample, conf and iou as used
};

// {"image", "width", "height", "model": {"cfg", "weights"}, "input": {"width", "height", "resize", "resample"}, "conf",
// "iou", "detections": [{"class", "class_id", "score", "x1", "y1", "x2", "y2"}, ...]}, boxes in the photo's pixels, best
// first as given. Throws std::out_of_range for a class id without a name.
nlohmann::json detections_json(const std::vector<data::Detection>& found, const std::vector<std::string>& names,
                               const DetectionContext& context);

// {"class", "class_id", "score", "x1", "y1", "x2", "y2"} of one detection. Throws std::out_of_range for a class id
// without a name.
nlohmann::json detection_json(const data::Detection& detection, const std::vector<std::string>& names);

// "4 person, 1 bus": the count of each class, most frequent first (ties in class order), or "nothing".
std::string detection_summary(const std::vector<data::Detection>& found, const std::vector<std::string>& names);

}  // namespace tint::detect
