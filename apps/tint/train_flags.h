// Flags that describe a training run, shared by `tint train`, `tint sweep` and `tint compare`.
#pragma once

#include <CLI/CLI.hpp>

#include "tint/report/progress.h"
#include "tint/train/config.h"
#include "tint/train/trainer.h"

namespace tint::cli {

// Adds --model (unless `with_model` is false), --kernel, --num-filters, --num-colours, --dilation, --lr,
// --batch-size, --epochs, --seed, --category, --no-shuffle, --palette, --train-limit, --val-limit, --samples.
void add_train_flags(CLI::App& cmd, train::TrainConfig& config, bool with_model = true);

// Prints notes, a progress bar within each epoch and one line per epoch.
class ConsoleObserver : public train::TrainObserver {
 public:
  explicit ConsoleObserver(std::string prefix = "") : prefix_(std::move(prefix)) {}
  void on_note(const std::string& message) override;
  void on_batch(int epoch, int64_t done, int64_t total) override;
  void on_epoch(const train::EpochMetrics& m, int epochs) override;

 private:
  std::string prefix_;
  report::ProgressBar bar_;
};

}  // namespace tint::cli
