// `tint detect train`: fine-tuning a pretrained darknet detector on a labelled dataset, as the source's second half
// does (COCO-pretrained YOLO, the first layers frozen, BCE-with-logits class loss).
//
// A run directory holds everything to understand, resume and use it, each file rewritten atomically after every
// epoch:
//   config.json        every setting (fine_tune_settings())     metrics.csv           one row per epoch (0: before)
//   checkpoint.pt      weights, optimizer, position, history    training_curve.png    (+ .gp, losses and mAP)
//   model.cfg          the network (classes as trained)         predictions_epoch_NN.jpg   validation images
//   model.weights      darknet weights: opens in darknet and OpenCV, and in `tint detect --run DIR`
//   classes.names      the class list
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/detect/fine_tune_config.h"
#include "tint/distributed/group.h"

namespace tint::detect {

namespace run_files {
inline constexpr const char* kConfig = "config.json";
inline constexpr const char* kMetrics = "metrics.csv";
inline constexpr const char* kCheckpoint = "checkpoint.pt";
inline constexpr const char* kCfg = "model.cfg";
inline constexpr const char* kWeights = "model.weights";
inline constexpr const char* kNames = "classes.names";
inline constexpr const char* kTrainingCurve = "training_curve.png";
std::string predictions(int epoch);  // predictions_epoch_NN.jpg
}  // namespace run_files

// One row of metrics.csv. Row 0 is the starting model before any training: its validation numbers, and NaN losses
// (written "nan"; gnuplot leaves them out).
struct DetectEpoch {
  int epoch = 0;
  double box_loss = 0, objectness_loss = 0, class_loss = 0, train_loss = 0;  // means over the epoch's batches
  double map50 = 0, map50_95 = 0, precision = 0, recall = 0;                  // on the validation images
  double seconds = 0;
};

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

// metrics.csv of a detection run, as fine_tune writes it. Throws tint::Error naming the file.
std::vector<DetectEpoch> read_detect_metrics(const std::filesystem::path& path);
// True for a folder holding a detection run (config.json beside model.cfg).
bool is_detect_run_dir(const std::filesystem::path& dir);

}  // namespace tint::detect
