// `tint train`: train a colourization network on one category (or all) and validate it after every epoch.
//
// A run directory holds config.json, palette.json (or ab_bins.json), metrics.csv, training_curve.png (+ .gp),
// samples_epoch_NN.png and checkpoint.pt, each rewritten atomically after every epoch, so an interrupted run resumes
// from its last epoch. The targets (colour_targets.h) are the palette (load_or_fit_palette) or the ab bins of the
// training images the run uses (fitted once, on rank 0; the network's num_colours becomes their count).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/distributed/group.h"
#include "tint/models/colour_net.h"
#include "tint/train/colour_targets.h"
#include "tint/train/config.h"
#include "tint/train/dataset.h"
#include "tint/train/evaluation.h"
#include "tint/train/metrics.h"

namespace tint::train {

class CheckpointReader;  // train/checkpoint.h

// Receives progress; the library itself never prints.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void on_note(const std::string& message) {}
  virtual void on_batch(int epoch, int64_t done, int64_t total) {}
  virtual void on_epoch(const EpochMetrics& metrics, int epochs) {}
};

struct TrainJob {
  TrainConfig config;
  std::filesystem::path data_dir;  // CIFAR-10 directory
  std::filesystem::path run_dir;
  bool resume = false;  // continue the run in run_dir (its config.json wins; `epochs_override` may extend it)
  int epochs_override = 0;
  bool overwrite = false;  // allow a fresh run in a directory that already holds a checkpoint
  // Set when this process is one worker of a data-parallel job: every worker calls train() with the same job; each
  // trains on its share of every global batch, and rank 0 alone writes the run directory (whose checkpoint the
  // others receive from it on --resume). Resuming with another world size keeps the global batch (each worker's
  // batch becomes global / new world size) and is refused when that does not divide.
  distributed::Group* group = nullptr;
};

struct TrainResult {
  std::vector<EpochMetrics> history;
  std::filesystem::path run_dir;
  int64_t train_images = 0, val_images = 0;
};

TrainResult train(const TrainJob& job, TrainObserver* observer = nullptr);

// The (untrained) network a run's config describes: its model, settings and memory format.
models::ColourNet make_model(const TrainConfig& config);
// The network a checkpoint holds: built from its config (make_model), with its saved weights.
models::ColourNet load_model(CheckpointReader& reader);

// The ab bins of a run's training images (AbBins::fit on their Lab, the default grid and prior smoothing).
data::AbBins fit_ab_bins(const torch::Tensor& images);

// Writes a samples figure of the first `count` images: rows of greyscale input, ground truth and prediction. Palette
// targets: the ground truth's palette colours and the predicted colours (the source's figure); ab-bins: the true
// images and the decoded ab on their own lightness.
void write_samples(const std::filesystem::path& png, models::ColourNetImpl& model, const ColourData& data,
                   const ColourTargets& targets, const data::AbDecoding& decoding, int count);

}  // namespace tint::train
