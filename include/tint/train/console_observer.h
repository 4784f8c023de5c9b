// A TrainObserver for terminals: notes, a progress bar within each epoch (when stderr is a terminal) and one line
// per epoch on stdout. Used by `tint train`, `sweep` and `compare`.
#pragma once

#include <string>

#include "tint/report/progress.h"
#include "tint/train/trainer.h"

namespace tint::train {

class ConsoleObserver : public TrainObserver {
 public:
  explicit ConsoleObserver(std::string prefix = "") : prefix_(std::move(prefix)) {}
  void on_note(const std::string& message) override;
  void on_batch(int epoch, int64_t done, int64_t total) override;
  void on_epoch(const EpochMetrics& m, int epochs) override;

 private:
  std::string prefix_;
  report::ProgressBar bar_;
};

}  // namespace tint::train
