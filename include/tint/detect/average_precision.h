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
// Not COCO's: no cap of 100 detections per image (the caller's NMS limits them), no area ranges or crowd boxes, and
// the recall points are k / 100 exactly (numpy's linspace makes 0.07 slightly more than 0.07, so a recall of exactly
// 7 / 100 does not reach that point in pycocotools).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tint/data/boxes.h"

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
  // At the confidence threshold and IoU 0.5: detections scored >= conf, matched in the ranking above.
  int64_t true_positives = 0, false_positives = 0;
  double precision = 0;  // TP / (TP + FP), 0 when no detection reaches conf
  double recall = 0;     // TP / instances, 0 without instances

  double ap50() const { return ap[0]; }
  double ap50_95() const;  // mean of the ten
};

struct Evaluation {
  std::vector<ClassEvaluation> classes;  // one per class id
  int64_t images = 0;
  int classes_with_instances = 0;  // the classes mAP averages over
  double map50 = 0;                // 0 when no class has instances
  double map50_95 = 0;
  // Over all classes, at `conf` and IoU 0.5.
  float conf = 0;
  int64_t instances = 0, true_positives = 0, false_positives = 0;
  double precision = 0, recall = 0;
};

struct EvaluationOptions {
  float conf = 0.25f;  // the confidence at which precision and recall are counted (AP uses every detection)
};

// detections[i] and truths[i] belong to image i; class ids below num_classes. Throws tint::Error naming the image and
// the box for a class id out of range, a non-finite score or coordinate, or lists of different lengths.
Evaluation evaluate_detections(const std::vector<std::vector<data::Detection>>& detections,
                               const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes,
                               const EvaluationOptions& options = {});

// The per-class table as text: a row for all classes, then one per class with instances or detections:
// class, images, instances, P, R, mAP50, mAP50-95 (Ultralytics' val.py columns). `names` indexes class ids.
std::string format_evaluation(const Evaluation& evaluation, const std::vector<std::string>& names);

}  // namespace tint::detect
