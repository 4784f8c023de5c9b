// Per-epoch metrics of a training run, and their CSV form (metrics.csv).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tint/report/table.h"

namespace tint::train {

// How well predicted colours match the truth (train/evaluation.h says how each is measured).
struct ColourScores {
  double auc = 0.0;                  // %: Zhang's AuC of the per-pixel ab error over the thresholds 0..150
  double auc_rebalanced = 0.0;       // %: the same, each pixel weighted by the inverse prior of its colour
  double psnr = 0.0;                 // dB: the mean over images of the per-image PSNR in RGB
  double colourfulness = 0.0;        // Hasler and Suesstrunk's M, mean over images: of the predictions
  double truth_colourfulness = 0.0;  // ... and of the ground truth
};

struct EpochMetrics {
  int epoch = 0;            // 1-based
  double train_loss = 0.0;  // mean per-pixel loss over the epoch's batches (cross-entropy, weighted when rebalancing)
  double val_loss = 0.0;    // the same loss over the validation set
  // % of validation pixels whose most probable class is the target: the palette colour (the source's pixel
  // accuracy), or for ab-bins runs the nearest bin (bin accuracy, not comparable with it).
  double val_acc = 0.0;
  double seconds = 0.0;  // wall time of the epoch (training + validation)
  // ab-bins runs: the validation set's colour scores, decoded as the run's --decode says. Palette runs leave it out,
  // so their metrics.csv keeps the source's five columns (`tint evaluate` scores them).
  std::optional<ColourScores> colour;
};

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;               // %
  std::optional<ColourScores> colour;  // when colour metrics were asked for
};

// Columns epoch, train_loss, val_loss, val_acc, then when any epoch has colour scores val_auc, val_auc_rebalanced,
// val_psnr, val_colourfulness, truth_colourfulness, and last seconds.
report::Table metrics_table(const std::vector<EpochMetrics>& history);

// One metric of several runs side by side (sweeps' val_loss.csv, the report's comparison plots): a column "epoch",
// then one column per run named as given, one row per epoch from 1 to the last any run reached; a run without that
// epoch leaves its cell empty.
using NamedHistory = std::pair<std::string, std::vector<EpochMetrics>>;
report::Table per_epoch_table(const std::vector<NamedHistory>& runs, double EpochMetrics::*field);
nlohmann::json history_to_json(const std::vector<EpochMetrics>& history);
std::vector<EpochMetrics> history_from_json(const nlohmann::json& json);

}  // namespace tint::train
