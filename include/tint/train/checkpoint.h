// checkpoint.pt: model weights (with batchnorm statistics), optimizer state, epoch, the palette or ab bins (as the
// config's target says), config and the metrics history, in one LibTorch archive with a magic string and format
// version checked on load. Written atomically.
#pragma once

#include <filesystem>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>

#include "tint/core/checkpoint_archive.h"

#include "tint/data/ab_bins.h"
#include "tint/data/palette.h"
#include "tint/train/colour_targets.h"
#include "tint/train/config.h"
#include "tint/train/metrics.h"

namespace tint::train {

struct CheckpointMeta {
  TrainConfig config;
  data::Palette palette;  // config.target palette
  int epoch = 0;          // epochs completed
  std::vector<EpochMetrics> history;
  // Set when a run was interrupted inside an epoch: batches of epoch + 1 already applied and their loss sum.
  int64_t batches_done = 0;
  double partial_loss_sum = 0.0;
  data::AbBins bins;  // config.target ab-bins
};

// The run's targets: its palette, or its bins with the config's soft targets and rebalancing.
ColourTargets colour_targets(const CheckpointMeta& meta);

void save_checkpoint(const std::filesystem::path& path, const CheckpointMeta& meta, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer);

// The same without the optimizer's state (Adam's two moments: two thirds of a checkpoint), for shipping a model
// (`tint export -o FILE.pt`): everything that runs or scores it reads it, `tint train --resume` refuses it.
void save_weights_only(const std::filesystem::path& path, const CheckpointMeta& meta, torch::nn::Module& model);

// Reads and checks a checkpoint. The archive stays open so that the caller can build the model from the config
// and then restore its weights (and the optimizer's state) from it.
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::filesystem::path& path);
  // From the bytes of the checkpoint file `name` (a data-parallel worker gets them from rank 0).
  CheckpointReader(const std::string& name, const std::string& bytes);
  const CheckpointMeta& meta() const { return meta_; }
  void restore_model(torch::nn::Module& model) { archive_.restore_model(model); }
  void restore_optimizer(torch::optim::Optimizer& optimizer) { archive_.restore_optimizer(optimizer); }

 private:
  void read_meta();
  CheckpointArchive archive_;
  CheckpointMeta meta_;
};

}  // namespace tint::train
