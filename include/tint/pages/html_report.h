// `tint report`: one self-contained HTML page about training runs. Every image is inlined as a data: URI; the page
// loads no other file, uses no network and no JavaScript, so it can be mailed or archived as it is.
//
// Inputs are run directories (written by `tint train`: config.json, metrics.csv, training_curve.png,
// samples_epoch_NN.png), sweep/compare output folders (summary.csv, loss_curves.png, accuracy_curves.png,
// samples.png and one run directory per value) and detection run directories (written by `tint detect train`,
// detect/fine_tune.h: config.json, model.cfg, classes.names, metrics.csv with row 0 the model before training,
// training_curve.png, predictions_epoch_NN.jpg), in any mix. The page shows, in order:
//   1. with two runs or more: a comparison table (model, kernel, batch size, epochs, final losses and accuracy,
//      total time) and, with two colourization runs or more, every run's validation loss and accuracy in one plot
//      each (drawn by gnuplot); for detection runs their own table (data, model, freeze, epochs, batch size, mAP@0.5
//      and mAP@0.5:0.95 before training and after the last epoch, best epoch, total time) and, with two or more,
//      their validation mAP per epoch in one plot per metric;
//   2. for each sweep folder: its summary table and figures, then its runs;
//   3. for each run: the final numbers, config.json as a table, the training curve, the sample grids of every
//      epoch (or an evenly spread subset) and metrics.csv;
//   4. for each detection run, in its input's place: the mAP before and after, the key settings (and config.json),
//      the training curve, the predictions before training and after the last epoch, and metrics.csv.
// Limits: reads files only (never a checkpoint); figures that are missing are named in the page and in warnings.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tint/train/run_dir.h"

namespace tint::pages {

using train::RunData;

struct ReportOptions {
  std::vector<std::filesystem::path> inputs;  // run directories and sweep/compare folders, in page order
  std::string title = "tint report";
  int max_sample_epochs = 0;  // sample grids per run: 0 = every epoch, N >= 2 = N spread from first to last
};

struct ReportResult {
  std::string html;
  int runs = 0;                       // runs shown, detection runs included
  std::vector<std::string> warnings;  // what was left out and why (missing figure, incomplete run, no gnuplot)
};

// Builds the page. Every input is checked first: one that does not exist, is not a run, a sweep folder or a
// detection run, or holds a damaged config.json or metrics.csv, throws tint::Error naming it (the file, and the line
// where there is one), before anything is drawn.
ReportResult render_report(const ReportOptions& options);

// render_report, then writes the page to `out` atomically (an earlier report survives a failure).
ReportResult write_report(const ReportOptions& options, const std::filesystem::path& out);

}  // namespace tint::pages
