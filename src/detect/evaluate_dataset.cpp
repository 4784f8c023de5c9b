#include "tint/detect/evaluate_dataset.h"

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
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : e.classes) {
    if (c.instances == 0 && c.detections == 0) continue;
    classes.push_back({{"class", names.at(c.class_id)},
                       {"class_id", c.class_id},
                       {"images", c.images},
                       {"instances", c.instances},
                       {"precision", c.precision},
                       {"recall", c.recall},
                       {"ap50", c.ap50()},
                       {"ap50_95", c.ap50_95()}});
  }
  return {{"images", e.images},       {"instances", e.instances}, {"classes_with_instances", e.classes_with_instances},
          {"map50", e.map50},         {"map50_95", e.map50_95},   {"conf", e.conf},
          {"precision", e.precision}, {"recall", e.recall},       {"classes", classes}};
}

}  // namespace tint::detect
