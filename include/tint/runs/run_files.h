// Every kind of run directory and the files it holds, in one place: the trainers write through these names, and
// `tint evaluate --run`, `colourize --run`, `detect --run`, sweeps and the report (pages/) read through them.
//
// colourization (tint train, sweep, compare)          detection (tint detect train)
//   config.json      every setting, and "kind"          config.json        every setting, and "kind"
//   metrics.csv      one row per epoch                   metrics.csv        one row per epoch (row 0: before training)
//   checkpoint.pt    weights, optimizer, position,       checkpoint.pt      weights, optimizer, position, history
//                    targets, history
//   training_curve.png (+ .gp)                           training_curve.png (+ .gp)
//   palette.json or ab_bins.json   the targets           model.cfg, model.weights, classes.names   the model, usable
//   samples_epoch_NN.png           validation samples                                              by darknet/OpenCV
//                                                        predictions_epoch_NN.jpg                  validation images
// A sweep (tint sweep, compare) is a folder of colourization runs with summary.csv and samples.png beside them.
#pragma once

#include <string>

namespace tint::runs {

// Files that every kind of run holds.
namespace common_files {
inline constexpr const char* kConfig = "config.json";
inline constexpr const char* kMetrics = "metrics.csv";
inline constexpr const char* kCheckpoint = "checkpoint.pt";
inline constexpr const char* kTrainingCurve = "training_curve.png";
}  // namespace common_files

namespace colourization_files {
using namespace common_files;
inline constexpr const char* kPalette = "palette.json";
inline constexpr const char* kAbBins = "ab_bins.json";
inline constexpr const char* kPaletteSwatch = "palette.png";  // tint palette's picture of palette.json
std::string samples(int epoch);                               // samples_epoch_NN.png
}  // namespace colourization_files

namespace detection_files {
using namespace common_files;
inline constexpr const char* kCfg = "model.cfg";
inline constexpr const char* kWeights = "model.weights";
inline constexpr const char* kNames = "classes.names";
std::string predictions(int epoch);  // predictions_epoch_NN.jpg
}  // namespace detection_files

namespace sweep_files {
inline constexpr const char* kSummary = "summary.csv";
inline constexpr const char* kSamples = "samples.png";
}  // namespace sweep_files

}  // namespace tint::runs
