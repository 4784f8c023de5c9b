// `tint train` / `tint evaluate`: train a colourization network on one category and validate it after every epoch.
//
// A run directory holds config.json, palette.json, metrics.csv, training_curve.png (+ .gp), samples_epoch_NN.png
// and checkpoint.pt, each rewritten atomically after every epoch, so an interrupted run resumes from its last epoch.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/distributed/group.h"
#include "tint/models/colour_net.h"
#include "tint/train/config.h"
#include "tint/train/dataset.h"
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
  bool resume = false;    // continue the run in run_dir (its config.json wins; `epochs_override` may extend it)
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

// Mean per-pixel cross-entropy and pixel accuracy of `model` (eval mode, no gradients) on `data`, with forward
// passes in `precision` ("fp32" or "bf16").
EvalResult evaluate(models::ColourNetImpl& model, const ColourData& data, int batch_size,
                    const std::string& precision = "fp32");

// `tint evaluate --run DIR`: rebuilds the model from DIR/checkpoint.pt and evaluates it on the validation split.
struct EvaluateResult {
  EvalResult result;
  int epoch = 0;
  int64_t images = 0;
  std::string model;
};
EvaluateResult evaluate_run(const std::filesystem::path& run_dir, const std::filesystem::path& data_dir);

// Writes a samples figure: rows of greyscale input, ground-truth palette colours and predicted colours.
void write_samples(const std::filesystem::path& png, models::ColourNetImpl& model, const ColourData& data,
                   const data::Palette& palette, int count);

}  // namespace tint::train
