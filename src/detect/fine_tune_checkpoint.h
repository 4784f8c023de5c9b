// checkpoint.pt of a detection run: its config, its position (runs::Position: epochs done, batches of the next
// epoch done and their four loss sums: box, objectness, class, total), its history, the weights and the optimizer's
// state. Private to src/detect (fine_tune.cpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "tint/core/checkpoint_archive.h"
#include "tint/detect/fine_tune_config.h"
#include "tint/detect/run_metrics.h"
#include "tint/runs/run_loop.h"

namespace tint::detect {

void save_fine_tune_checkpoint(const std::filesystem::path& path, const FineTuneConfig& config,
                               const runs::Position& at, const std::vector<DetectEpoch>& history,
                               torch::nn::Module& model, torch::optim::Optimizer& optimizer);

// A checkpoint read back: the run's config, position and history; the weights and optimizer state wait in `archive`
// until the model is built. Throws tint::Error naming the file when it is damaged.
struct FineTuneCheckpoint {
  // From the bytes of the checkpoint file `name` (a data-parallel worker gets them from rank 0).
  FineTuneCheckpoint(const std::string& name, const std::string& bytes);
  CheckpointArchive archive;
  FineTuneConfig config;
  runs::Position position;
  std::vector<DetectEpoch> history;
};

}  // namespace tint::detect
