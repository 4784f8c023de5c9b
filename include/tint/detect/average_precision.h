// Detection accuracy as COCO measures it (pycocotools' COCOeval.evaluateImg / accumulate): average precision per
// class at the ten IoU thresholds 0.50, 0.55, ..., 0.95, and its means mAP@0.5 and mAP@0.5:0.95.
//
// Per class and threshold: detections are ranked by score, highest first (a stable sort: ties keep image order, then
// the order of each image's list); each in turn is matched to the ground truth of its class in its image that is
// still unmatched and overlaps it most, if that IoU reaches the threshold (ties: the first such truth); otherwise it
// is a false positive. Difficult truths (Pascal VOC's flag; COCO's "ignore") are matched only when no other truth
// qualifies; a detection matched to one is neither a true nor a false positive, and they do not count as instances.
// Along the ranking, recall = TP / instances and precision = TP / (TP + FP); precision is made monotone (at each
// rank, the best precision at that rank or any later one) and read at the 101 recalls 0, 0.01, ..., 1 (0 where no
// rank reaches the recall); AP is their mean. mAP averages AP over the classes with at least one instance; a class
// with instances but no detections has AP 0, one without instances is left out.
// Not COCO's: no cap of 100 detections per image (the caller's NMS limits them), no crowd boxes, and the recall
// points are k / 100 exactly (numpy's linspace makes 0.07 slightly more than 0.07, so a recall of exactly 7 / 100
// does not reach that point in pycocotools).
//
// COCO's other summary numbers (COCOeval.summarize), with boxes for segments:
// - AP for small, medium and large objects: the same matching and AP, repeated with only the truths whose box area
//   (width x height in pixels of the image the boxes are given in) lies in the range small [0, 32^2], medium
//   [32^2, 96^2], large [96^2, inf) (bounds inclusive, as pycocotools compares them: an area of exactly 32^2 is both
//   small and medium); truths outside it are ignored like difficult ones, and a detection outside it (its own box
//   area) that matches no counted truth is ignored too; at most 100 detections per image and class (the best
//   scored). Mean of AP@0.5:0.95 over the classes with a truth in the range; NaN where none has (COCO's -1).
// - AR@1, AR@10, AR@100: per class and IoU threshold, the recall reached with each image's best 1, 10 or 100
//   detections of the class (all areas), averaged over the thresholds and the classes with instances. AR for small,
//   medium and large objects: the same at 100 within each area range.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tint/data/boxes.h"
#include "tint/detect/confusion_matrix.h"

namespace tint::detect {

inline constexpr int kNumIouThresholds = 10;
inline constexpr int kNumRecallPoints = 101;

// The index-th IoU threshold: 0.50 + 0.05 index, index 0..9.
double iou_threshold(int index);

// AP of one ranked list by 101-point interpolation: recall[k] and precision[k] after the k+1 best detections
// (recall non-decreasing). 0 for an empty list.
double interpolated_average_precision(const std::vector<double>& recall, const std::vector<double>& precision);

struct ClassEvaluation {
  int class_id = 0;
  int64_t images = 0;                          // images with at least one instance of the class
  int64_t instances = 0;                       // ground truths that count (not difficult)
  int64_t difficult = 0;                       // difficult ground truths
  int64_t detections = 0;                      // all detections of the class, any score
  std::array<double, kNumIouThresholds> ap{};  // per IoU threshold; 0 when the class has no instances
  // At the confidence threshold and IoU 0.5: detections scored >= conf, matched in the ranking above (a detection
  // matched to a difficult truth counts nowhere). FN = instances - TP.
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision = 0;  // TP / (TP + FP), 0 when no detection reaches conf
  double recall = 0;     // TP / instances, 0 without instances
  double f1 = 0;         // 2 P R / (P + R), 0 when both are 0

  double ap50() const { return ap[0]; }
  double ap50_95() const;  // mean of the ten
};

// COCO's object sizes: box area in pixels.
enum class AreaRange { small, medium, large };
inline constexpr int kNumAreaRanges = 3;
// The range's bounds, both inclusive: small [0, 1024], medium [1024, 9216], large [9216, inf).
std::pair<double, double> area_bounds(AreaRange range);
const char* to_string(AreaRange range);

// AR's detections per image and class: 1, 10, 100.
inline constexpr std::array<int, 3> kMaxDetections = {1, 10, 100};

struct Evaluation {
  std::vector<ClassEvaluation> classes;  // one per class id
  int64_t images = 0;
  int classes_with_instances = 0;  // the classes mAP averages over
  double map50 = 0;                // 0 when no class has instances
  double map50_95 = 0;
  // Over all classes (micro: the classes' counts summed, then P, R, F1 of the sums), at `conf` and IoU 0.5.
  float conf = 0;
  int64_t instances = 0, true_positives = 0, false_positives = 0, false_negatives = 0;
  double precision = 0, recall = 0, f1 = 0;
  // COCO's AP@0.5:0.95 by object size (AreaRange order) and AR at kMaxDetections (all sizes) and by size (at 100);
  // NaN where no class has a truth in the range.
  std::array<double, kNumAreaRanges> ap_by_area{};
  std::array<double, kMaxDetections.size()> ar{};
  std::array<double, kNumAreaRanges> ar_by_area{};
  std::array<int, kNumAreaRanges> classes_by_area{};  // the classes with a truth in each range
  ConfusionMatrix confusion;                          // at `conf` and IoU 0.5 (confusion_matrix.h)
};

struct EvaluationOptions {
  float conf = 0.25f;  // the confidence at which P, R and the confusion matrix are counted (AP uses every detection)
};

// detections[i] and truths[i] belong to image i; class ids below num_classes. Throws tint::Error naming the image and
// the box for a class id out of range, a non-finite score or coordinate, or lists of different lengths.
Evaluation evaluate_detections(const std::vector<std::vector<data::Detection>>& detections,
                               const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes,
                               const EvaluationOptions& options = {});

// The evaluation as text: a line of AP by object size, a line of AR, then the per-class table: a row for all classes,
// then one per class with instances or detections: class, images, instances, P, R, F1, TP, FP, FN, mAP50, mAP50-95
// (Ultralytics' val.py columns and the counts at conf). `names` indexes class ids.
std::string format_evaluation(const Evaluation& evaluation, const std::vector<std::string>& names);

}  // namespace tint::detect
