// Detection runs (`tint detect train`, detect/fine_tune.h) in the report: reading one back, its section, and the
// overview table and plots over several. Private to src/runs; html_report.cpp places them on the page.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tint/detect/fine_tune.h"

namespace tint::pages {

struct DetectRunData {
  std::filesystem::path dir;
  std::string name;                                                 // unique within one report
  std::vector<std::pair<std::string, std::string>> config_entries;  // config.json: key, value as JSON text
  detect::FineTuneConfig config;
  std::vector<std::string> classes;          // classes.names (empty when the file is missing: named in the warnings)
  std::vector<detect::DetectEpoch> metrics;  // metrics.csv: row 0 is the model before training, then one per epoch
};

// Reads config.json, metrics.csv and classes.names (never the checkpoint or the weights). Throws tint::Error naming
// the file when one is missing or damaged: metrics.csv must hold the rows 0, 1, 2, ... in order, with numbers
// (only row 0's losses may be "nan").
DetectRunData read_detect_run(const std::filesystem::path& dir, const std::string& name);

// The run's section: key settings, mAP before training and after the last epoch, the best epoch, the training
// curve, the predictions before and after, every epoch's metrics. `anchor` is the section's id.
std::string render_detect_run(const DetectRunData& run, const std::string& anchor, std::vector<std::string>& warnings);

// One row per run (settings, mAP before and after, best epoch, time), each linking to its section; with two runs
// or more, also every run's validation mAP per epoch in one plot per metric (drawn by gnuplot).
std::string render_detect_comparison(const std::vector<DetectRunData>& runs, const std::vector<std::string>& anchors,
                                     std::vector<std::string>& warnings);

}  // namespace tint::pages
