// The one resumable-run skeleton. Every kind of training run (colourization: train/trainer.cpp; detection
// fine-tuning: detect/fine_tune.cpp) is this loop with the kind's step, validation and files plugged in:
//
//   open_run          the directory: a fresh run refuses one that holds a run (unless --force); --resume reads the
//                     checkpoint on rank 0 and hands its bytes to every worker
//   adapt_world_size  a run resumed by another number of workers keeps its global batch
//   run_epochs        epochs of global batches, each worker its share; one small collective per step carries the
//                     loss parts and the stop flag, so that all workers stop together; a non-finite loss stops the
//                     run with its last good checkpoint kept; Ctrl-C saves the position (mid-epoch) and says how to
//                     continue; after each epoch the kind validates and writes its files
//
// docs/architecture.md ("How to add a run kind") walks through plugging a new kind in.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>

#include "tint/distributed/data_parallel.h"
#include "tint/report/plot.h"
#include "tint/runs/run_kind.h"

namespace tint::runs {

using Clock = std::chrono::steady_clock;

// Where a run stands: the epochs completed and, inside the next epoch, the batches already applied with the sums
// of their loss parts (what a checkpoint written at an interrupt records).
struct Position {
  int epoch = 0;
  int64_t batches_done = 0;
  std::vector<double> sums;
};

// One step's global batch, items [begin, end) of the epoch's order, and this worker's contiguous share of it,
// [first, last) (empty for a worker left without items in a short last batch).
struct BatchShare {
  int epoch = 0;      // 0-based
  int64_t batch = 0;  // 0-based, of `batches`
  int64_t batches = 0;
  int64_t begin = 0, end = 0, first = 0, last = 0;
};

// What a kind of run supplies to run_epochs.
class RunSteps {
 public:
  virtual ~RunSteps() = default;
  // Before an epoch's first step (also when resuming inside it): training mode, the epoch's order.
  virtual void begin_epoch(int epoch) = 0;
  // The forward and backward pass of this worker's share. Returns its loss parts (LoopSettings::loss_parts of them,
  // the last one the total, which must stay finite), each scaled so that their sum over workers is the global
  // batch's. The skeleton has zeroed the gradients; it sums them across workers and steps the optimizer after.
  virtual std::vector<double> step(const BatchShare& share) = 0;
  // Rank 0 only: the checkpoint of `at`, a position inside an epoch (an interrupt).
  virtual void save(const Position& at) = 0;
  // After an epoch's steps, on every worker: validation, the epoch's metrics row (`mean_losses`: each loss part's
  // mean over the epoch's batches, `started`: when the epoch began), and on rank 0 the per-epoch files and the
  // checkpoint of the position {epoch + 1, 0, zeros}. A validation that is not finite stops with stop_non_finite.
  virtual void end_epoch(int epoch, const std::vector<double>& mean_losses, Clock::time_point started) = 0;
};

struct LoopSettings {
  int epochs = 1;
  int64_t items = 0;         // training items in an epoch
  int64_t global_batch = 1;  // items per step, all workers together
  size_t loss_parts = 1;
  bool broadcast_buffers = true;  // rank 0's buffers (batchnorm statistics) to all before each step, as DDP
  std::filesystem::path dir;      // the run directory, for messages
  RunKind kind = RunKind::colourization;
  std::function<void(int epoch, int64_t done, int64_t total)> on_batch;  // 1-based epoch; may be empty
};

int64_t batches_per_epoch(const LoopSettings& settings);

// Runs epochs from `from` to settings.epochs. Throws tint::Interrupted (checkpoint saved, with the command that
// continues it) when any worker is asked to stop, and tint::Error when the loss becomes NaN or infinite.
void run_epochs(RunSteps& steps, torch::optim::Optimizer& optimizer, distributed::DataParallel& dp,
                const LoopSettings& settings, Position from);

// Stops a run whose loss or validation is no longer finite: nothing of the failing epoch is saved, so
// `checkpoint` (if any) is still the one written after the last good epoch. `what` says what happened ("loss became
// NaN at ...": non_finite_name gives the value's name).
[[noreturn]] void stop_non_finite(const std::string& what, const std::filesystem::path& checkpoint);
// "NaN", "+Inf" or "-Inf" (fmt would print "-nan" for some NaNs).
std::string non_finite_name(double value);

struct RunRequest {
  std::filesystem::path dir;
  RunKind kind = RunKind::colourization;
  bool resume = false;     // continue the run in dir
  bool overwrite = false;  // a fresh run even where dir holds one (--force)
};

// Opens the run directory. --resume: the checkpoint's bytes, read on rank 0 and sent to every worker (the others
// may be on machines without the directory), or a tint::Error saying what dir holds and what to run instead. A fresh
// run: nullopt, after refusing (on rank 0) a directory that already holds a run. Rank 0 creates the directory once
// the run's settings are known to be valid (nothing is left behind by a refused run).
std::optional<std::string> open_run(const RunRequest& request, distributed::DataParallel& dp);

// A run trained by `world_size` workers of `batch_size`, resumed by `workers`: both updated so that the global batch
// stays the same (the same optimization continues). Returns the sentence saying so (`caveat`, e.g. "; ...", inside
// its closing parenthesis), or nullopt when nothing changed. Throws tint::Error naming dir when the global batch does
// not divide among `workers`.
std::optional<std::string> adapt_world_size(int& batch_size, int& world_size, int workers,
                                            const std::filesystem::path& dir, const std::string& caveat = "");

// The training curve (gnuplot; its data stays in metrics.csv). A missing plotter must not stop training: its error
// goes to `warn` as a warning.
void write_curve(const std::filesystem::path& dir, const report::LinePlot& plot,
                 const std::function<void(const std::string&)>& warn);

}  // namespace tint::runs
