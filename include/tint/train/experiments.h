// `tint sweep` and `tint compare`: train one run per value of a setting (batch size, kernel, model, learning rate),
// all with the same palette and seed, then write a comparison: summary.csv, loss and accuracy curves per value,
// and samples.png with the final predictions of every run under the same validation images.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/train/trainer.h"

namespace tint::train {

// Settings a sweep can vary, by flag name: the sweepable rows of train_settings() (model, kernel, num-filters, lr,
// batch-size).
const std::vector<std::string>& sweep_parameters();

struct SweepJob {
  TrainConfig base;
  std::string parameter;            // one of sweep_parameters()
  std::vector<std::string> values;  // e.g. {"32", "64"}
  std::filesystem::path data_dir;
  std::filesystem::path out_dir;
};

struct SweepRun {
  std::string value;
  std::filesystem::path run_dir;
  std::vector<EpochMetrics> history;
};

// Applies `value` of `parameter` to a config, parsed and range-checked by the setting's own row (as its flag is);
// throws tint::Error naming the flag for a bad value.
void apply_sweep_value(TrainConfig& config, const std::string& parameter, const std::string& value);

std::vector<SweepRun> run_sweep(const SweepJob& job, TrainObserver* observer = nullptr);

}  // namespace tint::train
