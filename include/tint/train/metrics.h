// Per-epoch metrics of a training run, and their CSV form (metrics.csv).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tint/report/table.h"

namespace tint::train {

struct EpochMetrics {
  int epoch = 0;            // 1-based
  double train_loss = 0.0;  // mean per-pixel cross-entropy over the epoch's batches
  double val_loss = 0.0;    // mean per-pixel cross-entropy over the validation set
  double val_acc = 0.0;     // % of validation pixels whose predicted colour is the target colour
  double seconds = 0.0;     // wall time of the epoch (training + validation)
};

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;  // %
};

report::Table metrics_table(const std::vector<EpochMetrics>& history);

// One metric of several runs side by side (sweeps' val_loss.csv, the report's comparison plots): a column "epoch",
// then one column per run named as given, one row per epoch from 1 to the last any run reached; a run without that
// epoch leaves its cell empty.
using NamedHistory = std::pair<std::string, std::vector<EpochMetrics>>;
report::Table per_epoch_table(const std::vector<NamedHistory>& runs, double EpochMetrics::*field);
nlohmann::json history_to_json(const std::vector<EpochMetrics>& history);
std::vector<EpochMetrics> history_from_json(const nlohmann::json& json);

}  // namespace tint::train
