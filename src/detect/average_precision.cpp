// COCO-style average precision (detect/average_precision.h). One class at a time: its detections ranked once, its
// truths grouped by image (instances before difficult ones, so that a detection reaches a difficult truth only when
// no instance qualifies, as COCOeval orders its ignored truths last), each detection's IoUs computed once and reused
// by the ten thresholds.
#include "tint/detect/average_precision.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

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
  int image_rank = 0;  // its place among its image's detections of the class, best first (set after ranking)
};

struct Truth {
  int image;
  bool difficult;
  const data::Box* box;
  bool ignored = false;  // difficult, or outside the pass's area range
};

// What one pass over a class measures: the truths whose area lies in [area_lo, area_hi] count (the others are
// ignored), and each image's best max_detections (0: all).
struct Pass {
  double area_lo = 0, area_hi = std::numeric_limits<double>::infinity();
  int max_detections = 0;
};

struct PassResult {
  int64_t instances = 0;                            // the truths that count
  std::array<double, kNumIouThresholds> ap{};       // 0 without instances
  std::array<double, kNumIouThresholds> recall{};   // the last rank's recall; 0 without instances
  int64_t true_positives = 0, false_positives = 0;  // at IoU 0.5 among the detections scored >= conf
};

bool outside(double area, const Pass& pass) { return area < pass.area_lo || area > pass.area_hi; }

// One pass over a class: `ranked` in rank order (stable by score), `truth` in image order. The ignored truths of each
// image are placed after its counted ones, so that a detection reaches an ignored truth only when no counted one
// qualifies, as COCOeval orders them; a detection matched to an ignored truth, or unmatched and itself outside the
// area range, is neither a hit nor a miss.
PassResult evaluate_pass(const std::vector<RankedDetection>& ranked, std::vector<Truth> truth, int num_images,
                         const Pass& pass, float conf) {
  PassResult out;
  for (auto& t : truth) {
    t.ignored = t.difficult || outside(static_cast<double>(t.box->area()), pass);
    out.instances += !t.ignored;
  }
  // Image i's truths are truth[first[i] .. first[i + 1]), counted ones first.
  std::stable_sort(truth.begin(), truth.end(), [](const Truth& a, const Truth& b) {
    return a.image != b.image ? a.image < b.image : (!a.ignored && b.ignored);
  });
  std::vector<int> first(num_images + 1, 0);
  for (const auto& t : truth) ++first[t.image + 1];
  for (int i = 0; i < num_images; ++i) first[i + 1] += first[i];

  // matched[t * kNumIouThresholds + k]: truth t is taken at threshold k.
  std::vector<char> matched(truth.size() * kNumIouThresholds, 0);
  std::array<std::vector<double>, kNumIouThresholds> recall, precision;
  std::array<int64_t, kNumIouThresholds> tp{}, fp{};
  std::array<double, kNumIouThresholds> threshold;
  for (int k = 0; k < kNumIouThresholds; ++k) threshold[k] = iou_threshold(k);
  std::vector<double> ious;
  for (const auto& d : ranked) {
    if (pass.max_detections > 0 && d.image_rank >= pass.max_detections) continue;
    const bool detection_outside = outside(static_cast<double>(d.box->area()), pass);
    const int begin = first[d.image], end = first[d.image + 1];
    ious.resize(static_cast<size_t>(end - begin));
    for (int t = begin; t < end; ++t) ious[t - begin] = data::iou(*d.box, *truth[t].box);
    for (int k = 0; k < kNumIouThresholds; ++k) {
      int best = -1;
      double best_iou = 0;
      for (int t = begin; t < end; ++t) {
        if (matched[t * kNumIouThresholds + k]) continue;
        if (best >= 0 && !truth[best].ignored && truth[t].ignored) break;  // a counted truth beats an ignored one
        const double v = ious[t - begin];
        if (v < threshold[k] || (best >= 0 && v <= best_iou)) continue;
        best = t;
        best_iou = v;
      }
      if (best >= 0) {
        matched[best * kNumIouThresholds + k] = 1;
        if (truth[best].ignored) continue;  // neither a hit nor a miss: the rank leaves the curve unchanged
        ++tp[k];
      } else {
        if (detection_outside) continue;  // COCO: an unmatched detection outside the range is ignored
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
    for (int k = 0; k < kNumIouThresholds; ++k) {
      out.ap[k] = interpolated_average_precision(recall[k], precision[k]);
      out.recall[k] = static_cast<double>(tp[k]) / static_cast<double>(out.instances);
    }
  }
  return out;
}

double ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }
double f1_score(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }
double mean_of(const std::array<double, kNumIouThresholds>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / kNumIouThresholds;
}

// Sums over the classes with instances in a pass, for COCO's means.
struct MeanOverClasses {
  double sum = 0;
  int classes = 0;
  void add(const PassResult& r, const std::array<double, kNumIouThresholds>& values) {
    if (r.instances == 0) return;
    sum += mean_of(values);
    ++classes;
  }
  double mean() const { return classes > 0 ? sum / classes : std::numeric_limits<double>::quiet_NaN(); }
};

// The Evaluation's COCO summary numbers beyond mAP, accumulated class by class.
struct CocoSums {
  std::array<MeanOverClasses, kNumAreaRanges> ap_by_area, ar_by_area;
  std::array<MeanOverClasses, kMaxDetections.size()> ar;
};

// One class: fills `out` (its AP at every threshold and its counts at `conf`) from the class's detections, in image
// order, and its truths, and adds its share of the COCO summary to `sums`.
void evaluate_class(int class_id, std::vector<RankedDetection> ranked, const std::vector<Truth>& truth, int num_images,
                    float conf, ClassEvaluation& out, CocoSums& sums) {
  out.class_id = class_id;
  int last_image = -1;
  for (const auto& t : truth) {  // in image order
    if (t.difficult) {
      ++out.difficult;
      continue;
    }
    out.images += t.image != last_image;
    last_image = t.image;
  }

  out.detections = static_cast<int64_t>(ranked.size());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const RankedDetection& a, const RankedDetection& b) { return a.score > b.score; });
  std::vector<int> per_image(static_cast<size_t>(num_images), 0);
  for (auto& d : ranked) d.image_rank = per_image[static_cast<size_t>(d.image)]++;

  const auto all = evaluate_pass(ranked, truth, num_images, Pass{}, conf);
  out.instances = all.instances;
  out.ap = all.ap;
  out.true_positives = all.true_positives;
  out.false_positives = all.false_positives;
  out.false_negatives = out.instances - out.true_positives;
  out.precision = ratio(out.true_positives, out.true_positives + out.false_positives);
  out.recall = ratio(out.true_positives, out.instances);
  out.f1 = f1_score(out.precision, out.recall);
  if (out.instances == 0) return;  // adds nothing to any mean (no truth in any range either)

  for (size_t m = 0; m < kMaxDetections.size(); ++m) {
    Pass pass;
    pass.max_detections = kMaxDetections[m];
    const auto r = evaluate_pass(ranked, truth, num_images, pass, conf);
    sums.ar[m].add(r, r.recall);
  }
  for (int a = 0; a < kNumAreaRanges; ++a) {
    Pass pass;
    std::tie(pass.area_lo, pass.area_hi) = area_bounds(static_cast<AreaRange>(a));
    pass.max_detections = kMaxDetections.back();
    const auto r = evaluate_pass(ranked, truth, num_images, pass, conf);
    sums.ap_by_area[a].add(r, r.ap);
    sums.ar_by_area[a].add(r, r.recall);
  }
}

}  // namespace

std::pair<double, double> area_bounds(AreaRange range) {
  switch (range) {
    case AreaRange::small:
      return {0.0, 32.0 * 32.0};
    case AreaRange::medium:
      return {32.0 * 32.0, 96.0 * 96.0};
    case AreaRange::large:
      return {96.0 * 96.0, std::numeric_limits<double>::infinity()};
  }
  throw Error(fmt::format("area range {} is not small, medium or large", static_cast<int>(range)));
}

const char* to_string(AreaRange range) {
  switch (range) {
    case AreaRange::small:
      return "small";
    case AreaRange::medium:
      return "medium";
    case AreaRange::large:
      return "large";
  }
  return "?";
}

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
  CocoSums sums;
  for (int c = 0; c < num_classes; ++c) {
    auto& ce = e.classes[static_cast<size_t>(c)];
    evaluate_class(c, std::move(class_detections[static_cast<size_t>(c)]), class_truths[static_cast<size_t>(c)],
                   num_images, options.conf, ce, sums);
    e.instances += ce.instances;
    e.true_positives += ce.true_positives;
    e.false_positives += ce.false_positives;
    e.false_negatives += ce.false_negatives;
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
  e.precision = ratio(e.true_positives, e.true_positives + e.false_positives);
  e.recall = ratio(e.true_positives, e.instances);
  e.f1 = f1_score(e.precision, e.recall);
  for (size_t m = 0; m < kMaxDetections.size(); ++m) e.ar[m] = sums.ar[m].mean();
  for (int a = 0; a < kNumAreaRanges; ++a) {
    e.ap_by_area[a] = sums.ap_by_area[a].mean();
    e.ar_by_area[a] = sums.ar_by_area[a].mean();
    e.classes_by_area[a] = sums.ap_by_area[a].classes;
  }
  e.confusion = confusion_matrix(detections, truths, num_classes, options.conf);
  return e;
}

std::string format_evaluation(const Evaluation& evaluation, const std::vector<std::string>& names) {
  if (names.size() != evaluation.classes.size()) {
    throw Error(fmt::format("format_evaluation: {} names for {} classes", names.size(), evaluation.classes.size()));
  }
  // NaN (no class has a truth in the range): a dash.
  const auto number = [](double v) { return std::isnan(v) ? std::string("-") : fmt::format("{:.3f}", v); };
  const auto& e = evaluation;
  std::string text = "AP@0.5:0.95 by size";
  for (int a = 0; a < kNumAreaRanges; ++a)
    text += fmt::format("  {} {}", to_string(static_cast<AreaRange>(a)), number(e.ap_by_area[a]));
  text += "\n";
  for (size_t m = 0; m < kMaxDetections.size(); ++m)
    text += fmt::format("{}AR@{} {}", m ? "  " : "", kMaxDetections[m], number(e.ar[m]));
  text += "  (AR@100 by size:";
  for (int a = 0; a < kNumAreaRanges; ++a)
    text += fmt::format("{}{} {}", a ? "  " : " ", to_string(static_cast<AreaRange>(a)), number(e.ar_by_area[a]));
  text += ")\n";

  size_t width = 5;  // "class", "all"
  for (const auto& c : e.classes) {
    if (c.instances > 0 || c.detections > 0) width = std::max(width, names[static_cast<size_t>(c.class_id)].size());
  }
  text += fmt::format("{:<{}} {:>7} {:>9} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9}\n", "class", width, "images",
                      "instances", "P", "R", "F1", "TP", "FP", "FN", "mAP50", "mAP50-95");
  text += fmt::format("{:<{}} {:>7} {:>9} {:>6.3f} {:>6.3f} {:>6.3f} {:>6} {:>6} {:>6} {:>6.3f} {:>9.3f}\n", "all",
                      width, e.images, e.instances, e.precision, e.recall, e.f1, e.true_positives, e.false_positives,
                      e.false_negatives, e.map50, e.map50_95);
  for (const auto& c : e.classes) {
    if (c.instances == 0 && c.detections == 0) continue;
    // A class without instances has no AP: a dash, not a 0 that the mean did not include.
    const auto ap = [&](double v) { return c.instances > 0 ? fmt::format("{:.3f}", v) : std::string("-"); };
    text += fmt::format("{:<{}} {:>7} {:>9} {:>6.3f} {:>6.3f} {:>6.3f} {:>6} {:>6} {:>6} {:>6} {:>9}\n",
                        names[static_cast<size_t>(c.class_id)], width, c.images, c.instances, c.precision, c.recall,
                        c.f1, c.true_positives, c.false_positives, c.false_negatives, ap(c.ap50()), ap(c.ap50_95()));
  }
  return text;
}

}  // namespace tint::detect
