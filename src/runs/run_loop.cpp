#include "tint/runs/run_loop.h"

#include <cmath>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/runs/resume.h"
#include "tint/runs/run_files.h"

namespace tint::runs {
namespace fs = std::filesystem;

namespace {

// Whether any worker was asked to stop: `values` (this worker's numbers, summed across workers in the same
// collective) with the flag appended, so that a step costs one small collective, not two.
bool sum_with_stop_flag(std::vector<double>& values, distributed::DataParallel& dp) {
  const bool asked = interrupt_requested();
  if (!dp.distributed()) return asked;
  values.push_back(asked ? 1.0 : 0.0);
  dp.sum(values);
  const bool stop = values.back() > 0;
  values.pop_back();
  return stop;
}

}  // namespace

std::string non_finite_name(double value) { return std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf"; }

int64_t batches_per_epoch(const LoopSettings& s) { return (s.items + s.global_batch - 1) / s.global_batch; }

void stop_non_finite(const std::string& what, const fs::path& checkpoint) {
  std::error_code ec;
  const std::string kept = fs::exists(checkpoint, ec)
                               ? fmt::format("the last good checkpoint ({}) is kept", checkpoint.string())
                               : std::string("no checkpoint had been written yet");
  throw Error(fmt::format("{}: stopping; {} (try a smaller --lr)", what, kept));
}

void run_epochs(RunSteps& steps, torch::optim::Optimizer& optimizer, distributed::DataParallel& dp,
                const LoopSettings& s, Position from) {
  const int64_t batches = batches_per_epoch(s);
  const fs::path checkpoint = s.dir / common_files::kCheckpoint;
  const std::string resume = fmt::format("Continue with: {} --resume {}", kind_command(s.kind), s.dir.string());
  for (int epoch = from.epoch; epoch < s.epochs; ++epoch) {
    const auto started = Clock::now();
    steps.begin_epoch(epoch);
    // A run interrupted inside this epoch continues with its next batch: the order depends only on seed and epoch.
    Position at{epoch, epoch == from.epoch ? from.batches_done : 0, std::vector<double>(s.loss_parts, 0.0)};
    if (epoch == from.epoch && !from.sums.empty()) at.sums = from.sums;
    for (int64_t b = at.batches_done; b < batches; ++b) {
      // The global batch is what one process would take; each worker takes its contiguous share of it.
      BatchShare share{epoch, b, batches, b * s.global_batch, std::min(s.items, (b + 1) * s.global_batch), 0, 0};
      std::tie(share.first, share.last) = dp.share(share.begin, share.end);
      optimizer.zero_grad();
      if (s.broadcast_buffers) dp.broadcast_buffers();
      dp.before_backward();
      auto parts = steps.step(share);
      dp.after_backward();
      const bool stop = sum_with_stop_flag(parts, dp);
      if (!std::isfinite(parts.back())) {
        stop_non_finite(
            fmt::format("loss became {} at epoch {}, batch {}", non_finite_name(parts.back()), epoch + 1, b + 1),
            checkpoint);
      }
      optimizer.step();
      for (size_t k = 0; k < s.loss_parts; ++k) at.sums[k] += parts[k];
      at.batches_done = b + 1;
      if (s.on_batch) s.on_batch(epoch + 1, b + 1, batches);
      if (stop && b + 1 < batches) {
        if (dp.leader()) steps.save(at);
        throw Interrupted(fmt::format("interrupted at epoch {}, batch {} of {}; checkpoint saved. {}", epoch + 1, b + 1,
                                      batches, resume));
      }
    }
    std::vector<double> means(s.loss_parts);
    for (size_t k = 0; k < s.loss_parts; ++k) means[k] = at.sums[k] / static_cast<double>(batches);
    steps.end_epoch(epoch, means, started);
    std::vector<double> none;
    if (sum_with_stop_flag(none, dp) && epoch + 1 < s.epochs) {
      throw Interrupted(fmt::format("interrupted after epoch {}; checkpoint saved. {}", epoch + 1, resume));
    }
  }
}

std::optional<std::string> open_run(const RunRequest& request, distributed::DataParallel& dp) {
  if (request.resume) {
    return dp.from_leader(
        [&] { return read_checkpoint_to_resume(request.dir, common_files::kCheckpoint, kind_command(request.kind)); });
  }
  if (dp.leader()) {
    std::error_code ec;
    if (fs::exists(request.dir / common_files::kCheckpoint, ec) && !request.overwrite) {
      throw Error(fmt::format("{} already holds a run: continue it with --resume {} or choose another --out",
                              request.dir.string(), request.dir.string()));
    }
  }
  return std::nullopt;
}

std::optional<std::string> adapt_world_size(int& batch_size, int& world_size, int workers, const fs::path& dir,
                                            const std::string& caveat) {
  if (world_size == workers) return std::nullopt;
  const int batch = distributed::resumed_batch_size(batch_size, world_size, workers, dir.string());
  std::string note = fmt::format(
      "{} was trained by {} worker(s) of batch {}; continuing with {} of batch {} (global "
      "batch {} unchanged{})",
      dir.string(), world_size, batch_size, workers, batch, batch_size * world_size, caveat);
  batch_size = batch;
  world_size = workers;
  return note;
}

void write_curve(const fs::path& dir, const report::LinePlot& plot,
                 const std::function<void(const std::string&)>& warn) {
  try {
    report::plot_lines(dir / common_files::kTrainingCurve, plot);
  } catch (const Error& e) {
    if (warn) warn(std::string("warning: ") + e.what());
  }
}

}  // namespace tint::runs
