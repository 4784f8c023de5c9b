// The run directory: the names of the files `tint train`, `sweep` and `compare` write, and reading a run back. The
// trainer, sweeps, the palette job, colourize and the report (runs/html_report.h) all name files through here.
//
//   <run>/config.json          every setting (train_settings())       <run>/metrics.csv     one row per epoch
//   <run>/checkpoint.pt        weights, optimizer, position, palette   <run>/palette.json    the run's colours
//                              or ab bins                              <run>/ab_bins.json    (ab-bins runs: the bins)
//   <run>/training_curve.png   (+ .gp)                                 <run>/samples_epoch_NN.png
//   <sweep>/summary.csv, train_loss.csv, val_loss.csv, val_acc.csv, loss_curves.png, accuracy_curves.png,
//   samples.png, and one run directory per value
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tint/runs/run_files.h"
#include "tint/train/config.h"
#include "tint/train/metrics.h"

namespace tint::train {

// The colourization run's file names (runs/run_files.h lists every kind's).
namespace run_files = runs::colourization_files;

// One training run as read from its directory.
struct RunData {
  std::filesystem::path dir;
  std::string name;  // shown in headings and tables; unique within one report
  std::vector<std::pair<std::string, std::string>> config_entries;  // config.json: key, value as JSON text
  TrainConfig config;
  std::vector<EpochMetrics> metrics;                           // metrics.csv, in file order
  std::vector<std::pair<int, std::filesystem::path>> samples;  // samples_epoch_NN.png, by epoch
};

// The checkpoint of the colourization run in `dir` (`tint colourize --run`, `tint evaluate --run`). Throws
// tint::Error naming `flag` and dir when dir holds a run of another kind.
std::filesystem::path run_checkpoint(const std::filesystem::path& dir, const std::string& flag = "--run");

// True for a folder holding a colourization run (runs::kind_of); a sweep folder holds summary.csv instead.
bool is_run_dir(const std::filesystem::path& dir);

// metrics.csv with columns epoch, train_loss, val_loss, val_acc, seconds (any order; extra columns ignored), and the
// colour scores' five columns when val_auc is there (metrics_table).
// Throws tint::Error naming the file (and line) for a missing column, a bad number or no rows.
std::vector<EpochMetrics> read_metrics_csv(const std::filesystem::path& path);

// Reads a run directory (never its checkpoint). Throws tint::Error naming it when it is not a run: no config.json
// or no metrics.csv.
RunData read_run(const std::filesystem::path& dir, const std::string& name);

}  // namespace tint::train
