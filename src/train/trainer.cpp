#include "tint/train/trainer.h"

#include <chrono>
#include <cmath>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/resume.h"
#include "tint/core/interrupt.h"
#include "tint/data/cifar10.h"
#include "tint/distributed/data_parallel.h"
#include "tint/models/layers.h"
#include "tint/models/model_table.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/report/image_grid.h"
#include "tint/report/plot.h"
#include "tint/train/checkpoint.h"
#include "tint/train/loss.h"
#include "tint/train/palette_job.h"
#include "tint/train/precision.h"
#include "tint/train/run_dir.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Shuffling order of an epoch depends only on the seed and the epoch, so a resumed run sees the same batches.
torch::Tensor epoch_order(const TrainConfig& c, int epoch, int64_t n) {
  if (!c.shuffle) return torch::arange(n, torch::kInt64);
  return data::seeded_permutation(n, c.seed * 1000003u + static_cast<uint64_t>(epoch));
}

void write_curve(const fs::path& dir, const std::vector<EpochMetrics>& history, TrainObserver* observer) {
  metrics_table(history).save(dir / run_files::kMetrics);
  report::LinePlot plot{"Training curve", "epoch", "cross-entropy loss (per pixel)", "validation accuracy (%)"};
  plot.series = {{run_files::kMetrics, "epoch", "train_loss", "train loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "val_loss", "validation loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "val_acc", "validation accuracy", true, "linespoints"}};
  try {
    report::plot_lines(dir / run_files::kTrainingCurve, plot);
  } catch (const Error& e) {
    // The numbers are in metrics.csv; a missing plotter must not stop training.
    if (observer) observer->on_note(std::string("warning: ") + e.what());
  }
}

// "NaN", "+Inf" or "-Inf" (fmt would print "-nan" for some NaNs).
std::string non_finite_name(double value) { return std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf"; }

// Stops a run whose loss is no longer finite. Nothing of the failing epoch is saved, so checkpoint.pt (if any) is
// still the one written after the last epoch whose validation loss was finite.
[[noreturn]] void stop_non_finite(const std::string& what, const fs::path& checkpoint) {
  std::error_code ec;
  const std::string kept = fs::exists(checkpoint, ec)
                               ? fmt::format("the last good checkpoint ({}) is kept", checkpoint.string())
                               : std::string("no checkpoint had been written yet");
  throw Error(fmt::format("{}: stopping; {} (try a smaller --lr)", what, kept));
}

}  // namespace

models::ColourNet make_model(const TrainConfig& config) {
  auto model = models::make_model(config.model, network_config(config));
  model->set_memory_format(memory_format(config));
  return model;
}

models::ColourNet load_model(CheckpointReader& reader) {
  auto model = make_model(reader.meta().config);
  reader.restore_model(*model);
  return model;
}

namespace {

// The targets of a fresh run, decided on rank 0 (fitted there, or read from its --palette file) and sent to all:
// the palette, or the ab bins of the training images the run uses, whose count becomes the network's num_colours.
ColourTargets fresh_targets(TrainConfig& c, const torch::Tensor& train_images, distributed::DataParallel& dp,
                            TrainObserver* observer) {
  if (c.target != "ab-bins") {
    auto fit = [&] { return load_or_fit_palette(c, [&] { return train_images; }, observer); };
    return ColourTargets::palette(
        dp.distributed()
            ? data::Palette::from_json(nlohmann::json::parse(dp.from_leader([&] { return fit().to_json().dump(); })),
                                       "the palette of rank 0")
            : fit());
  }
  auto fit = [&] {
    const auto used = c.train_limit > 0 && c.train_limit < train_images.size(0) ? train_images.slice(0, 0, c.train_limit)
                                                                                 : train_images;
    if (observer) observer->on_note(fmt::format("fitting ab bins (grid 10) to {} training images", used.size(0)));
    return fit_ab_bins(used);
  };
  auto bins = dp.distributed()
                  ? data::AbBins::from_json(nlohmann::json::parse(dp.from_leader([&] { return fit().to_json().dump(); })),
                                            "the ab bins of rank 0")
                  : fit();
  c.net.num_colours = static_cast<int>(bins.size());  // at most 10,000 (AbBins)
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(fmt::format("the training images hold {} ab bins, one logit each: {}", bins.size(), e.what()));
  }
  return ColourTargets::ab_bins(std::move(bins), c.soft_targets, c.rebalance);
}

std::string targets_text(const ColourTargets& t) {
  std::string text = fmt::format("; targets: {} ab bins", t.size());
  if (t.soft_sigma() > 0.0) text += fmt::format(", soft (sigma {:g})", t.soft_sigma());
  if (t.rebalance() > 0.0) text += fmt::format(", rebalanced (lambda {:g})", t.rebalance());
  return text;
}

// A run resumed by another number of workers keeps its global batch, so that it continues the same optimization:
// each worker's batch becomes global / workers.
void adapt_world_size(TrainConfig& c, int workers, const fs::path& dir, TrainObserver* observer) {
  if (c.world_size == workers) return;
  const int batch = distributed::resumed_batch_size(c.batch_size, c.world_size, workers, dir.string());
  if (observer) {
    observer->on_note(fmt::format("{} was trained by {} worker(s) of batch {}; continuing with {} of batch {} (global "
                                  "batch {} unchanged{})",
                                  dir.string(), c.world_size, c.batch_size, workers, batch, c.batch_size * c.world_size,
                                  c.sync_batchnorm ? "" : "; batchnorm statistics are per worker, so not the same run"));
  }
  c.batch_size = batch;
  c.world_size = workers;
}

}  // namespace

data::AbBins fit_ab_bins(const torch::Tensor& images) { return data::AbBins::fit(data::rgb_to_lab(images)); }

void write_samples(const fs::path& png, models::ColourNetImpl& model, const ColourData& data,
                   const ColourTargets& targets, const data::AbDecoding& decoding, int count) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const int64_t n = std::min<int64_t>(count, data.size());
  auto grey = data.grey.slice(0, 0, n);
  auto logits = model.forward(grey);
  model.train(was_training);
  torch::Tensor truth, predicted;  // (n, 3, H, W) in [0, 1]
  if (targets.is_palette()) {
    truth = targets.colours().colourize(data.ids.slice(0, 0, n));
    predicted = targets.predicted_rgb(logits, {});
  } else {
    auto images = data.images.slice(0, 0, n);
    truth = images.to(torch::kFloat32) / 255.0f;
    predicted = targets.predicted_rgb(logits, data::rgb_to_lab(images).slice(1, 0, 1), decoding);
  }
  data::write_png(png, report::make_grid({grey, truth, predicted}, /*pad=*/2, /*scale=*/2));
}

TrainResult train(const TrainJob& job, TrainObserver* observer) {
  distributed::DataParallel dp(job.group);
  if (!dp.leader()) observer = nullptr;  // rank 0 speaks for the job
  auto note = [&](const std::string& m) {
    if (observer) observer->on_note(m);
  };
  const fs::path dir = job.run_dir;
  const fs::path checkpoint = dir / run_files::kCheckpoint;
  // A pointer, not std::optional: clang rejects optional<> of a type whose member (InputArchive) has a non-const
  // copy constructor, and the fuzz build (scripts/fuzz.sh) compiles this library with clang.
  std::unique_ptr<CheckpointReader> reader;
  TrainConfig c = job.config;
  if (job.resume) {
    // Rank 0 reads the file (the others may be on machines without the run directory); all parse the same bytes.
    reader = std::make_unique<CheckpointReader>(
        checkpoint.string(),
        dp.from_leader([&] { return read_checkpoint_to_resume(dir, run_files::kCheckpoint, "tint train"); }));
    c = reader->meta().config;
    if (job.epochs_override > 0) c.epochs = job.epochs_override;
    adapt_world_size(c, dp.size(), dir, observer);
  } else {
    if (dp.leader() && fs::exists(checkpoint) && !job.overwrite) {
      throw Error(fmt::format("{} already holds a run: continue it with --resume {} or choose another --out",
                              dir.string(), dir.string()));
    }
    c.world_size = dp.size();
    resolve_head(c);  // config.json and the checkpoint record the head this run trains
  }
  validate(c);
  check_target_settings(c);
  if (dp.leader()) ensure_directory(dir);

  auto train_images = data::read_category(job.data_dir, data::Split::Train, c.category).images;
  auto val_images = data::read_category(job.data_dir, data::Split::Test, c.category).images;
  if (train_images.size(0) == 0) throw Error(fmt::format("no training images of category '{}'", c.category));

  const ColourTargets targets =
      reader ? colour_targets(reader->meta()) : fresh_targets(c, train_images, dp, observer);
  auto train_set = prepare(train_images, targets, c.train_limit);
  auto val_set = prepare(val_images, targets, c.val_limit);
  if (val_set.size() == 0) throw Error(fmt::format("no validation images of category '{}'", c.category));
  // ab-bins runs score their colours every epoch; palette runs keep the source's numbers (`tint evaluate` scores them).
  std::unique_ptr<ColourReference> reference;
  if (!targets.is_palette()) reference = std::make_unique<ColourReference>(colour_reference(val_set.images));
  const EvalPassOptions eval_options{c.batch_size, c.precision, ab_decoding(c), reference.get()};

  torch::manual_seed(c.seed);  // weight initialization
  auto model = make_model(c);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay));
  std::vector<EpochMetrics> history;
  int start_epoch = 0;
  int64_t resume_batch = 0;
  double resume_loss_sum = 0.0;
  if (reader) {
    reader->restore_model(*model);
    reader->restore_optimizer(optimizer);
    history = reader->meta().history;
    start_epoch = reader->meta().epoch;
    resume_batch = reader->meta().batches_done;
    resume_loss_sum = reader->meta().partial_loss_sum;
    note(fmt::format("resuming {} at epoch {} of {}{}", dir.string(), start_epoch + 1, c.epochs,
                     resume_batch > 0 ? fmt::format(", batch {}", resume_batch + 1) : std::string()));
    if (c.threads > 0 && c.threads != at::get_num_threads()) {
      note(fmt::format("warning: {} was trained with {} threads and resumes with {}: its numbers will differ from an "
                       "uninterrupted run's in the last digits (--threads {} matches it)",
                       dir.string(), c.threads, at::get_num_threads(), c.threads));
    }
  } else {
    c.threads = at::get_num_threads();
    if (dp.leader()) {
      write_file_atomic(dir / run_files::kConfig, to_json(c).dump(2) + "\n");
      if (targets.is_palette()) {
        targets.colours().save(dir / run_files::kPalette);
      } else {
        targets.bins().save(dir / run_files::kAbBins);
      }
    }
  }
  if (c.sync_batchnorm && dp.distributed()) models::set_sync_batch_norm(*model, dp.tensor_sum());
  dp.attach(*model);
  const int64_t global_batch = int64_t{c.batch_size} * dp.size();
  note(fmt::format("training {} ({} weights) on {} '{}' images, validating on {}{}{}", c.model,
                   models::count_weights(*model), train_set.size(), c.category, val_set.size(),
                   targets.is_palette() ? std::string() : targets_text(targets),
                   dp.distributed() ? fmt::format("; {} workers x batch {} = global batch {}, {}", dp.size(),
                                                  c.batch_size, global_batch, job.group->transport())
                                    : std::string()));

  const int64_t n = train_set.size();
  const int64_t batches = (n + global_batch - 1) / global_batch;
  const int64_t pixels_per_image = train_set.ids.size(1) * train_set.ids.size(2);
  auto save = [&](int epoch, int64_t batches_done = 0, double partial_loss_sum = 0.0) {
    if (!dp.leader()) return;
    CheckpointMeta meta{c, targets.colours(), epoch, history, batches_done, partial_loss_sum};
    meta.bins = targets.bins();
    save_checkpoint(checkpoint, meta, *model, optimizer);
  };
  for (int epoch = start_epoch; epoch < c.epochs; ++epoch) {
    const auto t0 = Clock::now();
    model->train();
    auto order = epoch_order(c, epoch, n);
    // A run interrupted inside this epoch continues with its next batch: the order depends only on seed and epoch.
    const int64_t first_batch = epoch == start_epoch ? resume_batch : 0;
    double loss_sum = epoch == start_epoch ? resume_loss_sum : 0.0;
    bool stop = false;
    for (int64_t b = first_batch; b < batches; ++b) {
      // The global batch is what one process would take; each worker takes its contiguous share of it.
      const int64_t begin = b * global_batch, end = std::min(n, begin + global_batch);
      const auto [first, last] = dp.share(begin, end);
      auto idx = order.slice(0, first, last);
      optimizer.zero_grad();
      if (!c.sync_batchnorm) dp.broadcast_buffers();
      dp.before_backward();
      double value = 0.0;
      // A worker without images in a short last batch has nothing to compute, unless the synchronised batchnorm's
      // collectives need it (with no values of its own).
      if (last > first || (dp.distributed() && c.sync_batchnorm)) {
        auto x = train_set.grey.index_select(0, idx);  // (B, 1, H, W)
        auto y = train_set.ids.index_select(0, idx);   // (B, H, W)
        // Soft targets are built per batch from the images (3 bytes a pixel kept, not 12 per neighbour).
        auto images = targets.soft_sigma() > 0.0 ? train_set.images.index_select(0, idx) : torch::Tensor();
        torch::Tensor logits;                          // (B, NC, H, W)
        {
          PrecisionScope scope(c.precision);
          logits = model->forward(x);
        }
        // In float32 whatever the logits' precision. Across workers, each takes its share of the global batch's
        // mean, so that the summed gradients are the global batch's.
        auto loss = dp.distributed() ? targets.loss(logits, y, images, /*sum=*/true) /
                                           static_cast<double>((end - begin) * pixels_per_image)
                                     : targets.loss(logits, y, images);
        loss.backward();
        value = loss.item<double>();
      }
      dp.after_backward();
      if (dp.distributed()) {
        // One small collective: the global loss, and whether any worker was asked to stop, so all stop together.
        std::vector<double> step{value, interrupt_requested() ? 1.0 : 0.0};
        dp.sum(step);
        value = step[0];
        stop = step[1] > 0;
      } else {
        stop = interrupt_requested();
      }
      if (!std::isfinite(value)) {
        stop_non_finite(fmt::format("loss became {} at epoch {}, batch {}", non_finite_name(value), epoch + 1, b + 1),
                        checkpoint);
      }
      optimizer.step();
      loss_sum += value;
      if (observer) observer->on_batch(epoch + 1, b + 1, batches);
      if (stop && b + 1 < batches) {
        save(epoch, b + 1, loss_sum);
        throw Interrupted(fmt::format("interrupted at epoch {}, batch {} of {}; checkpoint saved. Continue with: tint "
                                      "train --resume {}",
                                      epoch + 1, b + 1, batches, dir.string()));
      }
    }
    const auto val = evaluate(*model, val_set, targets, eval_options, &dp);
    // The epoch's last step may have pushed the weights to Inf/NaN: such a model must not replace the checkpoint.
    if (!std::isfinite(val.loss)) {
      stop_non_finite(fmt::format("validation loss became {} after epoch {} (the weights overflowed in its last "
                                  "batches)",
                                  non_finite_name(val.loss), epoch + 1),
                      checkpoint);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    history.push_back({epoch + 1, loss_sum / static_cast<double>(batches), val.loss, val.accuracy, seconds, val.colour});

    if (dp.leader()) {
      write_samples(dir / run_files::samples(epoch + 1), *model, val_set, targets, eval_options.decoding,
                    c.sample_count);
      write_curve(dir, history, observer);
    }
    save(epoch + 1);
    if (observer) observer->on_epoch(history.back(), c.epochs);
    if (dp.distributed()) {
      std::vector<double> asked{interrupt_requested() ? 1.0 : 0.0};
      dp.sum(asked);
      stop = asked[0] > 0;
    } else {
      stop = interrupt_requested();
    }
    if (stop && epoch + 1 < c.epochs) {
      throw Interrupted(fmt::format("interrupted after epoch {}; checkpoint saved. Continue with: tint train --resume {}",
                                    epoch + 1, dir.string()));
    }
  }
  return {history, dir, train_set.size(), val_set.size()};
}

}  // namespace tint::train
