// `tint detect train`: fine-tuning a pretrained darknet detector on a labelled dataset, as the source's second half
// does (COCO-pretrained YOLO, the first layers frozen, BCE-with-logits class loss).
//
// A run directory (runs/run_files.h) holds everything to understand, resume and use it, each file rewritten
// atomically after every epoch; the loop is the run skeleton's (runs/run_loop.h):
//   config.json        every setting (fine_tune_settings())     metrics.csv           one row per epoch (0: before)
//   checkpoint.pt      weights, optimizer, position, history    training_curve.png    (+ .gp, losses and mAP)
//   model.cfg          the network (classes as trained)         predictions_epoch_NN.jpg   validation images
//   model.weights      darknet weights: opens in darknet and OpenCV, and in `tint detect --run DIR`
//   classes.names      the class list
//   evaluation.json    the latest epoch's validation in full (`detect evaluate --json`'s fields and "epoch")
//   confusion_matrix.png   its confusion matrix (+ .csv, .gp)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/detect/fine_tune_config.h"
#include "tint/detect/run_metrics.h"
#include "tint/distributed/group.h"
#include "tint/runs/run_files.h"

namespace tint::detect {

// The detection run's file names (runs/run_files.h lists every kind's).
namespace run_files = runs::detection_files;
// The latest validation in full, beside metrics.csv (kept here rather than in runs/run_files.h: only fine-tuning
// writes them and only the report reads them; a run written before them lacks them).
inline constexpr const char* kRunEvaluation = "evaluation.json";
inline constexpr const char* kRunConfusionMatrix = "confusion_matrix.png";

class FineTuneObserver {
 public:
  virtual ~FineTuneObserver() = default;
  virtual void on_note(const std::string& message) {}
  virtual void on_batch(int epoch, int64_t done, int64_t total) {}
  virtual void on_epoch(const DetectEpoch& row, int epochs) {}
};

struct FineTuneJob {
  FineTuneConfig config;
  std::filesystem::path run_dir;
  // The model used when the config names none (the CLI passes the shipped Yolo-Fastest 1.1).
  std::filesystem::path default_cfg, default_weights, default_names;
  bool resume = false;  // continue run_dir (its config wins; epochs_override may extend it)
  int epochs_override = 0;
  bool overwrite = false;
  // Set when this process is one worker of a data-parallel job (as train::TrainJob::group): each worker trains on
  // its share of every global batch; rank 0 writes the run directory and validates on the whole validation set
  // (mAP does not split into per-worker sums), while the others wait at the next step. The run directory must be
  // readable by every worker on --resume (model.cfg, classes.names).
  distributed::Group* group = nullptr;
};

struct FineTuneResult {
  std::vector<DetectEpoch> history;
  std::filesystem::path run_dir;
  int64_t train_images = 0, val_images = 0;
};

FineTuneResult fine_tune(const FineTuneJob& job, FineTuneObserver* observer = nullptr);

}  // namespace tint::detect
