// A detector measured on a labelled dataset: every image detected, then COCO's AP (average_precision.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tint/data/detection_dataset.h"
#include "tint/detect/average_precision.h"
#include "tint/detect/detector.h"

namespace tint::detect {

// AP needs the whole precision/recall curve, so detections are kept down to a low score, as COCO evaluations do
// (YOLOv5's val.py: 0.001); precision and recall are counted at `report_conf`.
inline constexpr float kEvaluationConf = 0.001f;

// How evaluation decodes the dataset's photos: whole (as `tint detect`, which draws on the full photo), or JPEGs by
// libjpeg-turbo's DCT scaling at the smallest of 1/2, 1/4, 1/8 that keeps the network input size
// (data::read_image_reduced), faster and with other pixels.
enum class PhotoDecode { full, dct };

struct DatasetEvaluationOptions {
  DetectOptions detect;  // detect.post.conf is the floor for AP (kEvaluationConf by default)
  float report_conf = 0.25f;
  PhotoDecode decode = PhotoDecode::full;
};

DatasetEvaluationOptions default_evaluation_options();

// Throws tint::Error when the detector's classes differ in number from the dataset's names. `progress`, when set,
// is called after each image with (done, total).
Evaluation evaluate_dataset(const Detector& detector, const data::DetectionDataset& dataset,
                            const DatasetEvaluationOptions& options,
                            const std::function<void(int64_t, int64_t)>& progress = {});

// The evaluation as JSON: overall numbers and one entry per class with instances or detections.
nlohmann::json evaluation_json(const Evaluation& evaluation, const std::vector<std::string>& names);

}  // namespace tint::detect
