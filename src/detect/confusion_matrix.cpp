// The confusion matrix with a background class (detect/confusion_matrix.h): YOLOv5's matching, transposed to rows of
// true classes.
#include "tint/detect/confusion_matrix.h"

#include <algorithm>
#include <tuple>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/report/plot.h"

namespace tint::detect {

namespace {

struct Pair {
  double iou;
  int truth, detection;
};

// One image's counts, added to `m`.
void count_image(const std::vector<data::Detection>& all_detections, const std::vector<data::LabelledBox>& truths,
                 ConfusionMatrix& m) {
  std::vector<const data::Detection*> detections;
  for (const auto& d : all_detections) {
    if (d.score >= m.conf) detections.push_back(&d);
  }
  std::vector<Pair> pairs;
  for (size_t t = 0; t < truths.size(); ++t) {
    for (size_t d = 0; d < detections.size(); ++d) {
      const double v = data::iou(truths[t].box, detections[d]->box);
      if (v > m.iou) pairs.push_back({v, static_cast<int>(t), static_cast<int>(d)});
    }
  }
  // Highest IoU first; ties: the earlier truth, then the earlier detection.
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
  // Each detection keeps its best pair, then each truth its best among those (YOLOv5's two np.unique passes).
  std::vector<char> detection_seen(detections.size(), 0), truth_seen(truths.size(), 0);
  std::vector<Pair> kept;
  for (const auto& p : pairs) {
    if (detection_seen[static_cast<size_t>(p.detection)]) continue;
    detection_seen[static_cast<size_t>(p.detection)] = 1;
    kept.push_back(p);
  }
  std::vector<int> truth_match(truths.size(), -1), detection_match(detections.size(), -1);
  for (const auto& p : kept) {
    if (truth_seen[static_cast<size_t>(p.truth)]) continue;
    truth_seen[static_cast<size_t>(p.truth)] = 1;
    truth_match[static_cast<size_t>(p.truth)] = p.detection;
    detection_match[static_cast<size_t>(p.detection)] = p.truth;
  }
  const auto add = [&](int true_class, int predicted_class) {
    ++m.counts[static_cast<size_t>(true_class) * static_cast<size_t>(m.size()) + static_cast<size_t>(predicted_class)];
  };
  for (size_t t = 0; t < truths.size(); ++t) {
    if (truths[t].difficult) continue;
    const int d = truth_match[t];
    add(truths[t].class_id, d >= 0 ? detections[static_cast<size_t>(d)]->class_id : m.background());
  }
  for (size_t d = 0; d < detections.size(); ++d) {
    if (detection_match[d] < 0) add(m.background(), detections[d]->class_id);
  }
}

}  // namespace

ConfusionMatrix confusion_matrix(const std::vector<std::vector<data::Detection>>& detections,
                                 const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes, float conf,
                                 double iou) {
  if (num_classes <= 0) throw Error(fmt::format("a confusion matrix needs at least one class, got {}", num_classes));
  if (detections.size() != truths.size())
    throw Error(fmt::format("confusion matrix: detections for {} images but ground truth for {}", detections.size(),
                            truths.size()));
  ConfusionMatrix m;
  m.num_classes = num_classes;
  m.conf = conf;
  m.iou = iou;
  m.counts.assign(static_cast<size_t>(m.size()) * static_cast<size_t>(m.size()), 0);
  for (size_t i = 0; i < truths.size(); ++i) {
    for (const auto& d : detections[i]) {
      if (d.class_id < 0 || d.class_id >= num_classes)
        throw Error(fmt::format("confusion matrix: image {}: a detection of class {}, expected 0..{}", i, d.class_id,
                                num_classes - 1));
    }
    for (const auto& t : truths[i]) {
      if (t.class_id < 0 || t.class_id >= num_classes)
        throw Error(fmt::format("confusion matrix: image {}: a ground truth of class {}, expected 0..{}", i, t.class_id,
                                num_classes - 1));
    }
    count_image(detections[i], truths[i], m);
  }
  return m;
}

nlohmann::json confusion_matrix_json(const ConfusionMatrix& m, const std::vector<std::string>& names) {
  if (names.size() != static_cast<size_t>(m.num_classes))
    throw Error(fmt::format("confusion matrix: {} names for {} classes", names.size(), m.num_classes));
  auto labels = nlohmann::json(names);
  labels.push_back("background");
  auto counts = nlohmann::json::array();
  for (int r = 0; r < m.size(); ++r) {
    auto row = nlohmann::json::array();
    for (int c = 0; c < m.size(); ++c) row.push_back(m.at(r, c));
    counts.push_back(std::move(row));
  }
  return {{"rows", "true"}, {"columns", "predicted"}, {"conf", m.conf},
          {"iou", m.iou},   {"labels", labels},       {"counts", counts}};
}

std::vector<int> occurring_classes(const ConfusionMatrix& m) {
  std::vector<int> shown;
  for (int k = 0; k < m.num_classes; ++k) {
    bool any = false;
    for (int j = 0; j < m.size() && !any; ++j) any = m.at(k, j) > 0 || m.at(j, k) > 0;
    if (any) shown.push_back(k);
  }
  return shown;
}

void plot_confusion_matrix(const std::filesystem::path& png, const ConfusionMatrix& m,
                           const std::vector<std::string>& names) {
  if (names.size() != static_cast<size_t>(m.num_classes))
    throw Error(fmt::format("confusion matrix: {} names for {} classes", names.size(), m.num_classes));
  auto shown = occurring_classes(m);
  std::vector<std::string> labels;
  for (int k : shown) labels.push_back(names[static_cast<size_t>(k)]);
  shown.push_back(m.background());
  labels.emplace_back("background");
  report::HeatMap map;
  map.title = fmt::format("Confusion matrix at conf {:g}, IoU > {:g} ({} of {} classes occur)", m.conf, m.iou,
                          shown.size() - 1, m.num_classes);
  map.x_label = "predicted (background: missed)";
  map.y_label = "true (background: false detection)";
  map.colour_label = "share of the row";
  map.row_labels = labels;
  map.column_labels = labels;
  for (int r : shown) {
    int64_t total = 0;
    for (int c = 0; c < m.size(); ++c) total += m.at(r, c);
    std::vector<double> colour;
    std::vector<std::string> text;
    for (int c : shown) {
      const int64_t n = m.at(r, c);
      colour.push_back(total > 0 ? static_cast<double>(n) / static_cast<double>(total) : 0.0);
      text.push_back(n > 0 ? std::to_string(n) : std::string());
    }
    map.colour.push_back(std::move(colour));
    map.text.push_back(std::move(text));
  }
  report::plot_heat_map(png, map);
}

}  // namespace tint::detect
