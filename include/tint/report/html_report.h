// `tint report`: one self-contained HTML page about training runs. Every image is inlined as a data: URI; the page
// loads no other file, uses no network and no JavaScript, so it can be mailed or archived as it is.
//
// Inputs are run directories (written by `tint train`: config.json, metrics.csv, training_curve.png,
// samples_epoch_NN.png) and sweep/compare output folders (summary.csv, loss_curves.png, accuracy_curves.png,
// samples.png and one run directory per value). The page shows, in order:
//   1. with two runs or more: a comparison table (model, kernel, batch size, epochs, final losses and accuracy,
//      total time) and every run's validation loss and accuracy in one plot each (drawn by gnuplot);
//   2. for each sweep folder: its summary table and figures, then its runs;
//   3. for each run: the final numbers, config.json as a table, the training curve, the sample grids of every
//      epoch (or an evenly spread subset) and metrics.csv.
// Limits: reads files only (never a checkpoint); figures that are missing are named in the page and in warnings.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tint/train/config.h"
#include "tint/train/metrics.h"

namespace tint::report {

// One training run as read from its directory.
struct RunData {
  std::filesystem::path dir;
  std::string name;  // shown in headings and tables; unique within one report
  std::vector<std::pair<std::string, std::string>> config_entries;  // config.json: key, value as JSON text
  train::TrainConfig config;
  std::vector<train::EpochMetrics> metrics;  // metrics.csv, in file order
  std::vector<std::pair<int, std::filesystem::path>> samples;  // samples_epoch_NN.png, by epoch
};

// True for a folder holding config.json; a sweep folder holds summary.csv instead.
bool is_run_dir(const std::filesystem::path& dir);
bool is_sweep_dir(const std::filesystem::path& dir);

// metrics.csv with columns epoch, train_loss, val_loss, val_acc, seconds (any order; extra columns ignored).
// Throws tint::Error naming the file (and line) for a missing column, a bad number or no rows.
std::vector<train::EpochMetrics> read_metrics_csv(const std::filesystem::path& path);

// Reads a run directory. Throws tint::Error naming it when it is not a run: no config.json or no metrics.csv.
RunData read_run(const std::filesystem::path& dir, const std::string& name);

struct ReportOptions {
  std::vector<std::filesystem::path> inputs;  // run directories and sweep/compare folders, in page order
  std::string title = "tint report";
  int max_sample_epochs = 0;  // sample grids per run: 0 = every epoch, N >= 2 = N spread from first to last
};

struct ReportResult {
  std::string html;
  int runs = 0;                       // runs shown
  std::vector<std::string> warnings;  // what was left out and why (missing figure, incomplete run, no gnuplot)
};

// Builds the page. Every input is checked first: one that does not exist or is neither a run nor a sweep folder
// throws tint::Error naming it, before anything is drawn.
ReportResult render_report(const ReportOptions& options);

// render_report, then writes the page to `out` atomically (an earlier report survives a failure).
ReportResult write_report(const ReportOptions& options, const std::filesystem::path& out);

}  // namespace tint::report
