#include "tint/detect/detection_json.h"

#include <algorithm>
#include <map>

#include <fmt/core.h>

namespace tint::detect {

nlohmann::json detection_json(const data::Detection& d, const std::vector<std::string>& names) {
  return {{"class", names.at(d.class_id)},
          {"class_id", d.class_id},
          {"score", d.score},
          {"x1", d.box.x1},
          {"y1", d.box.y1},
          {"x2", d.box.x2},
          {"y2", d.box.y2}};
}

nlohmann::json detections_json(const std::vector<data::Detection>& found, const std::vector<std::string>& names,
                               const DetectionContext& context) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : found) list.push_back(detection_json(d, names));
  const auto& o = context.options;
  return {{"image", context.image.string()},
          {"width", context.width},
          {"height", context.height},
          {"model", {{"cfg", context.cfg.string()}, {"weights", context.weights.string()}}},
          {"input",
           {{"width", context.input.first},
            {"height", context.input.second},
            {"resize", to_string(o.resize)},
            {"resample", to_string(o.resample)}}},
          {"conf", o.post.conf},
          {"iou", o.post.iou},
          {"detections", list}};
}

std::string detection_summary(const std::vector<data::Detection>& found, const std::vector<std::string>& names) {
  std::map<int, int> counts;
  for (const auto& d : found) ++counts[d.class_id];
  std::vector<std::pair<int, int>> order(counts.begin(), counts.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [id, n] : order) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, names.at(id));
  return text.empty() ? "nothing" : text;
}

}  // namespace tint::detect
