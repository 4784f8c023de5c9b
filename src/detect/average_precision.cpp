// COCO-style average precision (detect/average_precision.h). One class at a time: its detections ranked once, its
// truths grouped by image (instances before difficult ones, so that a detection reaches a difficult truth only when
// no instance qualifies, as COCOeval orders its ignored truths last), each detection's IoUs computed once and reused
// by the ten thresholds.
#include "tint/detect/average_precision.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::detect {

double iou_threshold(int index) {
  if (index < 0 || index >= kNumIouThresholds) {
    throw Error(fmt::format("IoU threshold index {} is out of range 0..{}", index, kNumIouThresholds - 1));
  }
  return (50 + 5 * index) / 100.0;
}

double interpolated_average_precision(const std::vector<double>& recall, const std::vector<double>& precision) {
  if (recall.size() != precision.size()) {
    throw Error(fmt::format("average precision: {} recalls but {} precisions", recall.size(), precision.size()));
  }
  // The envelope: the best precision at each rank or any later one.
  std::vector<double> envelope(precision);
  for (size_t k = envelope.size(); k-- > 1;) envelope[k - 1] = std::max(envelope[k - 1], envelope[k]);
  double sum = 0;
  for (int point = 0; point < kNumRecallPoints; ++point) {
    const double r = point / 100.0;
    const auto first = std::lower_bound(recall.begin(), recall.end(), r);  // the first rank reaching r
    if (first != recall.end()) sum += envelope[static_cast<size_t>(first - recall.begin())];
  }
  return sum / kNumRecallPoints;
}

double ClassEvaluation::ap50_95() const { return std::accumulate(ap.begin(), ap.end(), 0.0) / kNumIouThresholds; }

namespace {

bool finite(const data::Box& b) {
  return std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2);
}

void check_inputs(const std::vector<std::vector<data::Detection>>& detections,
                  const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes) {
  if (num_classes <= 0) throw Error(fmt::format("evaluation needs at least one class, got {}", num_classes));
  if (detections.size() != truths.size()) {
    throw Error(
        fmt::format("evaluation: detections for {} images but ground truth for {}", detections.size(), truths.size()));
  }
  for (size_t i = 0; i < detections.size(); ++i) {
    for (size_t j = 0; j < detections[i].size(); ++j) {
      const auto& d = detections[i][j];
      if (d.class_id < 0 || d.class_id >= num_classes || !std::isfinite(d.score) || !finite(d.box)) {
        throw Error(
            fmt::format("evaluation: image {}, detection {}: class {} score {} box {},{},{},{}; expected a "
                        "class 0..{}, a finite score and finite corners",
                        i, j, d.class_id, d.score, d.box.x1, d.box.y1, d.box.x2, d.box.y2, num_classes - 1));
      }
    }
    for (size_t j = 0; j < truths[i].size(); ++j) {
      const auto& t = truths[i][j];
      if (t.class_id < 0 || t.class_id >= num_classes || !finite(t.box)) {
        throw Error(
            fmt::format("evaluation: image {}, ground truth {}: class {} box {},{},{},{}; expected a class "
                        "0..{} and finite corners",
                        i, j, t.class_id, t.box.x1, t.box.y1, t.box.x2, t.box.y2, num_classes - 1));
      }
    }
  }
}

struct RankedDetection {
  float score;
  int image;
  const data::Box* box;
};

struct Truth {
  int image;
  bool difficult;
  const data::Box* box;
};

// One class: fills `out` (its AP at every threshold and its counts at `conf`) from the class's detections, in image
// order, and its truths, by image.
void evaluate_class(int class_id, std::vector<RankedDetection> ranked, std::vector<Truth> truth, int num_images,
                    float conf, ClassEvaluation& out) {
  out.class_id = class_id;
  // Image i's truths are truth[first[i] .. first[i + 1]), instances first, then difficult ones.
  std::stable_sort(truth.begin(), truth.end(), [](const Truth& a, const Truth& b) {
    return a.image != b.image ? a.image < b.image : (!a.difficult && b.difficult);
  });
  std::vector<int> first(num_images + 1, 0);
  for (const auto& t : truth) ++first[t.image + 1];
  for (int i = 0; i < num_images; ++i) first[i + 1] += first[i];
  int last_image = -1;
  for (const auto& t : truth) {
    if (t.difficult) {
      ++out.difficult;
      continue;
    }
    ++out.instances;
    out.images += t.image != last_image;
    last_image = t.image;
  }

  out.detections = static_cast<int64_t>(ranked.size());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const RankedDetection& a, const RankedDetection& b) { return a.score > b.score; });

  // matched[t * kNumIouThresholds + k]: truth t is taken at threshold k.
  std::vector<char> matched(truth.size() * kNumIouThresholds, 0);
  std::array<std::vector<double>, kNumIouThresholds> recall, precision;
  std::array<int64_t, kNumIouThresholds> tp{}, fp{};
  std::array<double, kNumIouThresholds> threshold;
  for (int k = 0; k < kNumIouThresholds; ++k) threshold[k] = iou_threshold(k);
  std::vector<double> ious;
  for (const auto& d : ranked) {
    const int begin = first[d.image], end = first[d.image + 1];
    ious.resize(static_cast<size_t>(end - begin));
    for (int t = begin; t < end; ++t) ious[t - begin] = data::iou(*d.box, *truth[t].box);
    for (int k = 0; k < kNumIouThresholds; ++k) {
      int best = -1;
      double best_iou = 0;
      for (int t = begin; t < end; ++t) {
        if (matched[t * kNumIouThresholds + k]) continue;
        if (best >= 0 && !truth[best].difficult && truth[t].difficult) break;  // an instance beats a difficult one
        const double v = ious[t - begin];
        if (v < threshold[k] || (best >= 0 && v <= best_iou)) continue;
        best = t;
        best_iou = v;
      }
      if (best >= 0) {
        matched[best * kNumIouThresholds + k] = 1;
        if (truth[best].difficult) continue;  // neither a hit nor a miss: the rank leaves the curve unchanged
        ++tp[k];
      } else {
        ++fp[k];
      }
      if (k == 0 && d.score >= conf) best >= 0 ? ++out.true_positives : ++out.false_positives;
      if (out.instances > 0) {
        recall[k].push_back(static_cast<double>(tp[k]) / static_cast<double>(out.instances));
        precision[k].push_back(static_cast<double>(tp[k]) / static_cast<double>(tp[k] + fp[k]));
      }
    }
  }
  if (out.instances > 0) {
    for (int k = 0; k < kNumIouThresholds; ++k) out.ap[k] = interpolated_average_precision(recall[k], precision[k]);
  }
  const int64_t counted = out.true_positives + out.false_positives;
  out.precision = counted > 0 ? static_cast<double>(out.true_positives) / static_cast<double>(counted) : 0.0;
  out.recall = out.instances > 0 ? static_cast<double>(out.true_positives) / static_cast<double>(out.instances) : 0.0;
}

}  // namespace

Evaluation evaluate_detections(const std::vector<std::vector<data::Detection>>& detections,
                               const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes,
                               const EvaluationOptions& options) {
  check_inputs(detections, truths, num_classes);
  Evaluation e;
  e.images = static_cast<int64_t>(truths.size());
  e.conf = options.conf;
  e.classes.resize(static_cast<size_t>(num_classes));
  // Each class's detections in image order (the stable ranking's tie order) and its truths.
  std::vector<std::vector<RankedDetection>> class_detections(static_cast<size_t>(num_classes));
  std::vector<std::vector<Truth>> class_truths(static_cast<size_t>(num_classes));
  const int num_images = static_cast<int>(truths.size());
  for (int i = 0; i < num_images; ++i) {
    for (const auto& d : detections[i]) {
      class_detections[static_cast<size_t>(d.class_id)].push_back({d.score, i, &d.box});
    }
    for (const auto& t : truths[i]) {
      class_truths[static_cast<size_t>(t.class_id)].push_back({i, t.difficult, &t.box});
    }
  }
  for (int c = 0; c < num_classes; ++c) {
    auto& ce = e.classes[static_cast<size_t>(c)];
    evaluate_class(c, std::move(class_detections[static_cast<size_t>(c)]),
                   std::move(class_truths[static_cast<size_t>(c)]), num_images, options.conf, ce);
    e.instances += ce.instances;
    e.true_positives += ce.true_positives;
    e.false_positives += ce.false_positives;
    if (ce.instances > 0) {
      ++e.classes_with_instances;
      e.map50 += ce.ap50();
      e.map50_95 += ce.ap50_95();
    }
  }
  if (e.classes_with_instances > 0) {
    e.map50 /= e.classes_with_instances;
    e.map50_95 /= e.classes_with_instances;
  }
  const int64_t counted = e.true_positives + e.false_positives;
  e.precision = counted > 0 ? static_cast<double>(e.true_positives) / static_cast<double>(counted) : 0.0;
  e.recall = e.instances > 0 ? static_cast<double>(e.true_positives) / static_cast<double>(e.instances) : 0.0;
  return e;
}

std::string format_evaluation(const Evaluation& evaluation, const std::vector<std::string>& names) {
  if (names.size() != evaluation.classes.size()) {
    throw Error(fmt::format("format_evaluation: {} names for {} classes", names.size(), evaluation.classes.size()));
  }
  size_t width = 5;  // "class", "all"
  for (const auto& c : evaluation.classes) {
    if (c.instances > 0 || c.detections > 0) width = std::max(width, names[static_cast<size_t>(c.class_id)].size());
  }
  std::string text = fmt::format("{:<{}} {:>7} {:>9} {:>6} {:>6} {:>6} {:>9}\n", "class", width, "images", "instances",
                                 "P", "R", "mAP50", "mAP50-95");
  text +=
      fmt::format("{:<{}} {:>7} {:>9} {:>6.3f} {:>6.3f} {:>6.3f} {:>9.3f}\n", "all", width, evaluation.images,
                  evaluation.instances, evaluation.precision, evaluation.recall, evaluation.map50, evaluation.map50_95);
  for (const auto& c : evaluation.classes) {
    if (c.instances == 0 && c.detections == 0) continue;
    // A class without instances has no AP: a dash, not a 0 that the mean did not include.
    const auto ap = [&](double v) { return c.instances > 0 ? fmt::format("{:.3f}", v) : std::string("-"); };
    text += fmt::format("{:<{}} {:>7} {:>9} {:>6.3f} {:>6.3f} {:>6} {:>9}\n", names[static_cast<size_t>(c.class_id)],
                        width, c.images, c.instances, c.precision, c.recall, ap(c.ap50()), ap(c.ap50_95()));
  }
  return text;
}

}  // namespace tint::detect
