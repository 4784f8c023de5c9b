#include "tint/detect/evaluate_dataset.h"

#include <cmath>

#include <fmt/core.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/reduced_image.h"

namespace tint::detect {

DatasetEvaluationOptions default_evaluation_options() {
  DatasetEvaluationOptions o;
  o.detect.post.conf = kEvaluationConf;
  o.detect.post.iou = 0.6f;  // YOLOv5's val.py: a little looser than for display, which AP rewards
  return o;
}

Evaluation evaluate_dataset(const Detector& detector, const data::DetectionDataset& dataset,
                            const DatasetEvaluationOptions& options,
                            const std::function<void(int64_t, int64_t)>& progress) {
  if (detector.names().size() != dataset.names.size())
    throw Error(fmt::format("the model predicts {} classes but {} lists {}", detector.names().size(),
                            dataset.dir.string(), dataset.names.size()));
  std::vector<std::vector<data::Detection>> found;
  std::vector<std::vector<data::LabelledBox>> truths;
  const auto total = static_cast<int64_t>(dataset.images.size());
  const auto [input_w, input_h] = detector.input_size(options.detect);
  for (const auto& image : dataset.images) {
    found.push_back(options.decode == PhotoDecode::dct
                        ? detector.detect(data::read_image_reduced(image.path, input_w, input_h), options.detect)
                        : detector.detect(data::read_image(image.path), options.detect));
    truths.push_back(image.objects);
    if (progress) progress(static_cast<int64_t>(found.size()), total);
  }
  EvaluationOptions eval;
  eval.conf = options.report_conf;
  return evaluate_detections(found, truths, static_cast<int>(dataset.names.size()), eval);
}

nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& names) {
  // NaN (no truth in an area range) as null: JSON has no NaN.
  const auto number = [](double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); };
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : e.classes) {
    if (c.instances == 0 && c.detections == 0) continue;
    classes.push_back({{"class", names.at(c.class_id)},
                       {"class_id", c.class_id},
                       {"images", c.images},
                       {"instances", c.instances},
                       {"precision", c.precision},
                       {"recall", c.recall},
                       {"f1", c.f1},
                       {"true_positives", c.true_positives},
                       {"false_positives", c.false_positives},
                       {"false_negatives", c.false_negatives},
                       {"ap50", c.ap50()},
                       {"ap50_95", c.ap50_95()}});
  }
  nlohmann::json json = {{"images", e.images},
                         {"instances", e.instances},
                         {"classes_with_instances", e.classes_with_instances},
                         {"map50", e.map50},
                         {"map50_95", e.map50_95},
                         {"conf", e.conf},
                         {"precision", e.precision},
                         {"recall", e.recall},
                         {"f1", e.f1},
                         {"true_positives", e.true_positives},
                         {"false_positives", e.false_positives},
                         {"false_negatives", e.false_negatives},
                         {"classes", classes},
                         {"confusion_matrix", confusion_matrix_json(e.confusion, names)}};
  // COCO's summary: ap_small, ap_medium, ap_large (AP@0.5:0.95), ar1, ar10, ar100, ar100_small, ... and the classes
  // each size's means are over (classes_small, ...).
  for (int a = 0; a < kNumAreaRanges; ++a) {
    const std::string size = to_string(static_cast<AreaRange>(a));
    json["ap_" + size] = number(e.ap_by_area[a]);
    json["ar100_" + size] = number(e.ar_by_area[a]);
    json["classes_" + size] = e.classes_by_area[a];
  }
  for (size_t m = 0; m < kMaxDetections.size(); ++m) json[fmt::format("ar{}", kMaxDetections[m])] = number(e.ar[m]);
  return json;
}

}  // namespace tint::detect
