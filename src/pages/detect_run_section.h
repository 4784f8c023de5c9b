// Detection runs (`tint detect train`, detect/fine_tune.h) in the report: reading one back, its section, and the
// overview table and plots over several. Private to src/runs; html_report.cpp places them on the page.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tint/detect/fine_tune.h"

namespace tint::pages {

// The run's latest validation in full (evaluation.json): COCO's summary beyond mAP and the counts at conf, as
// fractions; NaN where a size range has no truth.
struct DetectRunEvaluation {
  int epoch = 0;
  double ap_small = 0, ap_medium = 0, ap_large = 0, ar1 = 0, ar10 = 0, ar100 = 0;
  double conf = 0, precision = 0, recall = 0, f1 = 0;
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
};

struct DetectRunData {
  std::filesystem::path dir;
  std::string name;                                                 // unique within one report
  std::vector<std::pair<std::string, std::string>> config_entries;  // config.json: key, value as JSON text
  detect::FineTuneConfig config;
  std::vector<std::string> classes;          // classes.names (empty when the file is missing: named in the warnings)
  std::vector<detect::DetectEpoch> metrics;  // metrics.csv: row 0 is the model before training, then one per epoch
  std::optional<DetectRunEvaluation> evaluation;  // absent in runs written before evaluation.json existed
};

// Reads config.json, metrics.csv, classes.names and evaluation.json (never the checkpoint or the weights). Throws tint::Error naming
// the file when one is missing or damaged: metrics.csv must hold the rows 0, 1, 2, ... in order, with numbers
// (only row 0's losses may be "nan"); evaluation.json may be absent, but not damaged.
DetectRunData read_detect_run(const std::filesystem::path& dir, const std::string& name);

// The run's section: key settings, mAP before training and after the last epoch, the best epoch, the training
// curve, the latest validation's AP by size, AR and confusion matrix, the predictions before and after, every
// epoch's metrics. `anchor` is the section's id.
std::string render_detect_run(const DetectRunData& run, const std::string& anchor, std::vector<std::string>& warnings);

// One row per run (settings, mAP before and after, best epoch, time), each linking to its section; with two runs
// or more, also every run's validation mAP per epoch in one plot per metric (drawn by gnuplot).
std::string render_detect_comparison(const std::vector<DetectRunData>& runs, const std::vector<std::string>& anchors,
                                     std::vector<std::string>& warnings);

}  // namespace tint::pages
