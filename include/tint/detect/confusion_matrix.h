// A detector's confusion matrix with a background class, as Ultralytics' ConfusionMatrix (YOLOv5 utils/metrics.py)
// counts it, at a confidence and an IoU threshold. Per image: the detections scored >= conf (YOLOv5: > conf) are
// matched to the truths regardless of class, on the pairs whose IoU exceeds the threshold (strictly): the pairs
// sorted by IoU, highest first, each detection keeps its best pair, then each truth keeps its best remaining pair
// (YOLOv5's two np.unique passes; a detection whose best truth went to another detection is not tried on its second
// best, ties in IoU go to the earlier truth, then the earlier detection). A matched pair counts at (true class,
// predicted class); a truth left unmatched counts as missed, at (its class, background); a detection left unmatched
// counts as a false detection, at (background, its class). Difficult truths take part in the matching but are not
// counted, nor is a detection matched to one.
//
// Orientation: rows are the TRUE class, columns the PREDICTED class (the transpose of YOLOv5's matrix, whose rows
// are predictions). Index num_classes is background in both: the last column holds the missed truths (false
// negatives), the last row the false detections (false positives); (background, background) is always 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tint/data/boxes.h"

namespace tint::detect {

struct ConfusionMatrix {
  int num_classes = 0;  // the matrix has num_classes + 1 rows and columns, background last
  float conf = 0;
  double iou = 0.5;
  std::vector<int64_t> counts;  // row-major: counts[true_class * (num_classes + 1) + predicted_class]

  int size() const { return num_classes + 1; }
  int background() const { return num_classes; }
  int64_t at(int true_class, int predicted_class) const {
    return counts.at(static_cast<size_t>(true_class) * static_cast<size_t>(size()) +
                     static_cast<size_t>(predicted_class));
  }
};

// detections[i] and truths[i] belong to image i, class ids below num_classes (evaluate_detections checks them).
ConfusionMatrix confusion_matrix(const std::vector<std::vector<data::Detection>>& detections,
                                 const std::vector<std::vector<data::LabelledBox>>& truths, int num_classes, float conf,
                                 double iou = 0.5);

// {"rows": "true", "columns": "predicted", "conf", "iou", "labels": names + "background", "counts": [[...], ...]}:
// every class, in id order, background last.
nlohmann::json confusion_matrix_json(const ConfusionMatrix& matrix, const std::vector<std::string>& names);

// The classes a picture shows: those with a count anywhere in their row or column, in id order.
std::vector<int> occurring_classes(const ConfusionMatrix& matrix);

// Draws the matrix as a heat map (report::plot_heat_map: the .csv and .gp beside the PNG): the occurring classes and
// background, true class down, predicted class across, each cell's count written in it and coloured by its share of
// its row (the fraction of that true class's objects, of the false detections for the background row). Throws
// tint::Error when gnuplot is missing or fails, or when names do not match the classes.
void plot_confusion_matrix(const std::filesystem::path& png, const ConfusionMatrix& matrix,
                           const std::vector<std::string>& names);

}  // namespace tint::detect
