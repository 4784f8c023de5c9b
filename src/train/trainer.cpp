#include "tint/train/trainer.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/distributed/data_parallel.h"
#include "tint/models/layers.h"
#include "tint/models/model_table.h"
#include "tint/report/image_grid.h"
#include "tint/report/plot.h"
#include "tint/runs/run_kind.h"
#include "tint/runs/run_loop.h"
#include "tint/runs/seeds.h"
#include "tint/train/checkpoint.h"
#include "tint/train/loss.h"
#include "tint/train/palette_job.h"
#include "tint/train/photo_set.h"
#include "tint/train/precision.h"
#include "tint/train/run_dir.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {

void write_curve(const fs::path& dir, const std::vector<EpochMetrics>& history, TrainObserver* observer) {
  metrics_table(history).save(dir / run_files::kMetrics);
  report::LinePlot plot{"Training curve", "epoch", "cross-entropy loss (per pixel)", "validation accuracy (%)"};
  plot.series = {{run_files::kMetrics, "epoch", "train_loss", "train loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "val_loss", "validation loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "val_acc", "validation accuracy", true, "linespoints"}};
  runs::write_curve(dir, plot, [observer](const std::string& m) {
    if (observer) observer->on_note(m);
  });
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

// A photo run's squares go through the network whole, which halves them size_multiple() times and joins the skips
// again: a side it does not divide would fail in the middle of the first step, so say it before reading any photo.
void check_photo_sides(const TrainConfig& c) {
  if (c.images_dir.empty()) return;
  const int multiple = make_model(c)->size_multiple();
  for (const auto& [flag, side] : {std::pair<const char*, int>{"--crop", c.crop}, {"--photo-side", c.photo_side}}) {
    if (side % multiple != 0) {
      throw Error(fmt::format("{} {}: --model {} needs a multiple of {} (it halves its input to 1/{} and back)", flag,
                              side, c.model, multiple, multiple));
    }
  }
}

// The targets of a fresh run, decided on rank 0 (fitted there, or read from its --palette file) and sent to all:
// the palette, or the ab bins of the training images the run uses, whose count becomes the network's num_colours.
ColourTargets fresh_targets(TrainConfig& c, const torch::Tensor& train_images, distributed::DataParallel& dp,
                            TrainObserver* observer) {
  if (c.target == ColourTarget::palette) {
    auto fit = [&] {
      return load_or_fit_palette(
          c, [&] { return train_images; }, observer);
    };
    return ColourTargets::palette(
        dp.distributed()
            ? data::Palette::from_json(nlohmann::json::parse(dp.from_leader([&] { return fit().to_json().dump(); })),
                                       "the palette of rank 0")
            : fit());
  }
  auto fit = [&] {
    const auto used = c.train_limit > 0 && c.train_limit < train_images.size(0)
                          ? train_images.slice(0, 0, c.train_limit)
                          : train_images;
    if (observer) observer->on_note(fmt::format("fitting ab bins (grid 10) to {} training images", used.size(0)));
    return fit_ab_bins(used);
  };
  auto bins = dp.distributed() ? data::AbBins::from_json(
                                     nlohmann::json::parse(dp.from_leader([&] { return fit().to_json().dump(); })),
                                     "the ab bins of rank 0")
                               : fit();
  auto targets = ColourTargets::ab_bins(std::move(bins), c.soft_targets, c.rebalance);
  targets.resolve_num_colours(c);
  return targets;
}

std::string targets_text(const ColourTargets& t) {
  std::string text = fmt::format("; targets: {} ab bins", t.size());
  if (t.soft_sigma() > 0.0) text += fmt::format(", soft (sigma {:g})", t.soft_sigma());
  if (t.rebalance() > 0.0) text += fmt::format(", rebalanced (lambda {:g})", t.rebalance());
  return text;
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

namespace {

// A colourization run as the run skeleton (runs/run_loop.h) drives it: its step, its validation and its files.
class ColourRun final : public runs::RunSteps {
 public:
  // `epoch_data`, when set, gives each epoch's training set (photo runs draw new crops every epoch); `train_set` is
  // epoch `train_epoch`'s.
  ColourRun(const TrainConfig& c, ColourData train_set, int train_epoch, std::function<ColourData(int)> epoch_data,
            const ColourData& val_set, const ColourTargets& targets, const EvalPassOptions& eval,
            models::ColourNet model, torch::optim::Optimizer& optimizer, distributed::DataParallel& dp, fs::path dir,
            std::vector<EpochMetrics>& history, TrainObserver* observer)
      : c_(c),
        train_(std::move(train_set)),
        train_epoch_(train_epoch),
        epoch_data_(std::move(epoch_data)),
        val_(val_set),
        targets_(targets),
        eval_(eval),
        model_(std::move(model)),
        optimizer_(optimizer),
        dp_(dp),
        dir_(std::move(dir)),
        history_(history),
        observer_(observer) {}

  void begin_epoch(int epoch) override {
    model_->train();
    if (epoch_data_ && epoch != train_epoch_) {
      train_ = epoch_data_(epoch);
      train_epoch_ = epoch;
    }
    order_ = c_.shuffle
                 ? data::seeded_permutation(train_.size(), runs::derive_seed(c_.seed, runs::SeedStream::epoch_order,
                                                                             static_cast<uint64_t>(epoch)))
                 : torch::arange(train_.size(), torch::kInt64);
  }

  std::vector<double> step(const runs::BatchShare& s) override {
    // A worker without images in a short last batch has nothing to compute, unless the synchronised batchnorm's
    // collectives need it (with no values of its own).
    if (s.last == s.first && !(dp_.distributed() && c_.sync_batchnorm)) return {0.0};
    auto idx = order_.slice(0, s.first, s.last);
    auto x = train_.grey.index_select(0, idx);  // (B, 1, H, W)
    auto y = train_.ids.index_select(0, idx);   // (B, H, W)
    // Soft targets are built per batch from the images (3 bytes a pixel kept, not 12 per neighbour).
    auto images = targets_.soft_sigma() > 0.0 ? train_.images.index_select(0, idx) : torch::Tensor();
    torch::Tensor logits;  // (B, NC, H, W)
    {
      PrecisionScope scope(c_.precision);
      logits = model_->forward(x);
    }
    // In float32 whatever the logits' precision. Across workers, each takes its share of the global batch's mean,
    // so that the summed gradients are the global batch's.
    const double pixels = static_cast<double>(train_.ids.size(1) * train_.ids.size(2));
    auto loss = dp_.distributed()
                    ? targets_.loss(logits, y, images, /*sum=*/true) / (static_cast<double>(s.end - s.begin) * pixels)
                    : targets_.loss(logits, y, images);
    loss.backward();
    return {loss.item<double>()};
  }

  void save(const runs::Position& at) override {
    CheckpointMeta meta{c_, targets_.colours(), at.epoch, history_, at.batches_done, at.sums.at(0)};
    meta.bins = targets_.bins();
    save_checkpoint(dir_ / run_files::kCheckpoint, meta, *model_, optimizer_);
  }

  void end_epoch(int epoch, const std::vector<double>& mean_losses, runs::Clock::time_point started) override {
    const auto val = evaluate(*model_, val_, targets_, eval_, &dp_);
    // The epoch's last step may have pushed the weights to Inf/NaN: such a model must not replace the checkpoint.
    if (!std::isfinite(val.loss)) {
      runs::stop_non_finite(fmt::format("validation loss became {} after epoch {} (the weights overflowed in its last "
                                        "batches)",
                                        runs::non_finite_name(val.loss), epoch + 1),
                            dir_ / run_files::kCheckpoint);
    }
    const double seconds = std::chrono::duration<double>(runs::Clock::now() - started).count();
    history_.push_back({epoch + 1, mean_losses.at(0), val.loss, val.accuracy, seconds, val.colour});
    if (dp_.leader()) {
      write_samples(dir_ / run_files::samples(epoch + 1), *model_, val_, targets_, eval_.decoding, c_.sample_count);
      write_curve(dir_, history_, observer_);
      save({epoch + 1, 0, {0.0}});
    }
    if (observer_) observer_->on_epoch(history_.back(), c_.epochs);
  }

 private:
  const TrainConfig& c_;
  ColourData train_;
  int train_epoch_;
  std::function<ColourData(int)> epoch_data_;
  const ColourData& val_;
  const ColourTargets& targets_;
  const EvalPassOptions& eval_;
  models::ColourNet model_;
  torch::optim::Optimizer& optimizer_;
  distributed::DataParallel& dp_;
  fs::path dir_;
  std::vector<EpochMetrics>& history_;
  TrainObserver* observer_;
  torch::Tensor order_;
};

// A resumed run's weights, optimizer state, history and position, restored from its checkpoint.
runs::Position restore(CheckpointReader& reader, models::ColourNetImpl& model, torch::optim::Optimizer& optimizer,
                       std::vector<EpochMetrics>& history, const TrainConfig& c, const fs::path& dir,
                       TrainObserver* observer) {
  reader.restore_model(model);
  reader.restore_optimizer(optimizer);
  history = reader.meta().history;
  const runs::Position from{reader.meta().epoch, reader.meta().batches_done, {reader.meta().partial_loss_sum}};
  if (!observer) return from;
  observer->on_note(
      fmt::format("resuming {} at epoch {} of {}{}", dir.string(), from.epoch + 1, c.epochs,
                  from.batches_done > 0 ? fmt::format(", batch {}", from.batches_done + 1) : std::string()));
  if (c.threads > 0 && c.threads != at::get_num_threads()) {
    observer->on_note(
        fmt::format("warning: {} was trained with {} threads and resumes with {}: its numbers will "
                    "differ from an uninterrupted run's in the last digits (--threads {} matches it)",
                    dir.string(), c.threads, at::get_num_threads(), c.threads));
  }
  return from;
}

// A fresh run's config.json (with its kind) and its targets' file.
void write_fresh_run(const fs::path& dir, const TrainConfig& c, const ColourTargets& targets) {
  runs::write_config(dir, runs::RunKind::colourization, to_json(c));
  if (targets.is_palette()) {
    targets.colours().save(dir / run_files::kPalette);
  } else {
    targets.bins().save(dir / run_files::kAbBins);
  }
}

std::string start_text(const TrainConfig& c, models::ColourNetImpl& model, int64_t train_images, int64_t val_images,
                       const ColourTargets& targets, const distributed::DataParallel& dp, distributed::Group* group) {
  const std::string what = c.images_dir.empty()
                               ? fmt::format("{} '{}' images, validating on {}", train_images, c.category, val_images)
                               : fmt::format("{} squares of {} px an epoch from {}, validating on {} photos at {} px",
                                             train_images, c.crop, c.images_dir.string(), val_images, c.photo_side);
  return fmt::format("training {} ({} weights) on {}{}{}", c.model, models::count_weights(model), what,
                     targets.is_palette() ? std::string() : targets_text(targets),
                     dp.distributed() ? fmt::format("; {} workers x batch {} = global batch {}, {}", dp.size(),
                                                    c.batch_size, int64_t{c.batch_size} * dp.size(), group->transport())
                                      : std::string());
}

// The settings a run trains with: a resumed run's own (with --epochs and the new number of workers), or the job's.
TrainConfig run_settings(const TrainJob& job, const CheckpointReader* reader, int workers, TrainObserver* observer) {
  if (!reader) {
    TrainConfig c = job.config;
    c.world_size = workers;
    resolve_head(c);  // config.json and the checkpoint record the head this run trains
    return c;
  }
  TrainConfig c = reader->meta().config;
  if (job.epochs_override > 0) c.epochs = job.epochs_override;
  const auto changed =
      runs::adapt_world_size(c.batch_size, c.world_size, workers, job.run_dir,
                             c.sync_batchnorm ? "" : "; batchnorm statistics are per worker, so not the same run");
  if (changed && observer) observer->on_note(*changed);
  return c;
}

}  // namespace

TrainResult train(const TrainJob& job, TrainObserver* observer) {
  distributed::DataParallel dp(job.group);
  if (!dp.leader()) observer = nullptr;  // rank 0 speaks for the job
  const fs::path dir = job.run_dir;
  // A pointer, not std::optional: clang rejects optional<> of a type whose member (InputArchive) has a non-const
  // copy constructor, and the fuzz build (scripts/fuzz.sh) compiles this library with clang.
  std::unique_ptr<CheckpointReader> reader;
  if (auto bytes = runs::open_run({dir, runs::RunKind::colourization, job.resume, job.overwrite}, dp)) {
    reader = std::make_unique<CheckpointReader>((dir / run_files::kCheckpoint).string(), *bytes);
  }
  TrainConfig c = run_settings(job, reader.get(), dp.size(), observer);
  validate(c);
  check_target_settings(c);
  check_photo_sides(c);
  if (dp.leader()) ensure_directory(dir);

  // CIFAR-10's category, or photos: their crops drawn anew every epoch (the first epoch's fit the run's ab bins).
  torch::Tensor train_images, val_images;
  std::shared_ptr<const PhotoSet> photos;
  if (c.images_dir.empty()) {
    train_images = data::read_category(job.data_dir, data::Split::Train, c.category).images;
    val_images = data::read_category(job.data_dir, data::Split::Test, c.category).images;
    if (train_images.size(0) == 0) throw Error(fmt::format("no training images of category '{}'", c.category));
  } else {
    if (!reader) c.images_dir = fs::absolute(c.images_dir).lexically_normal();  // a resume from elsewhere finds them
    photos = std::make_shared<const PhotoSet>(read_photo_set(c.images_dir, c.val_fraction));
    if (observer) {
      observer->on_note(fmt::format(
          "read {} photos from {}: {} for training, {} held out for validation{}",
          photos->train.size() + photos->val.size(), c.images_dir.string(), photos->train.size(), photos->val.size(),
          photos->grey_files.empty() ? std::string()
                                     : fmt::format(" ({} grey ones left out)", photos->grey_files.size())));
    }
    train_images = epoch_crops(photos->train, photo_crop_settings(c), c.seed, 0);
    val_images = centre_crops(photos->val, c.photo_side);
  }
  const ColourTargets targets = reader ? colour_targets(reader->meta()) : fresh_targets(c, train_images, dp, observer);
  auto train_set = prepare(train_images, targets, c.train_limit);
  train_images = torch::Tensor();  // train_set holds what the run uses
  std::function<ColourData(int)> epoch_data;
  if (photos) {
    epoch_data = [photos, &c, &targets](int epoch) {
      return prepare(epoch_crops(photos->train, photo_crop_settings(c), c.seed, epoch), targets, c.train_limit);
    };
  }
  const auto val_set = prepare(val_images, targets, c.val_limit);
  if (val_set.size() == 0) throw Error(fmt::format("no validation images of category '{}'", c.category));
  // ab-bins runs score their colours every epoch; palette runs keep the source's numbers (`tint evaluate` scores them).
  std::unique_ptr<ColourReference> reference;
  if (!targets.is_palette()) reference = std::make_unique<ColourReference>(colour_reference(val_set.images));
  const EvalPassOptions eval_options{c.batch_size, c.precision, ab_decoding(c), reference.get()};

  torch::manual_seed(c.seed);  // weight initialization
  auto model = make_model(c);
  torch::optim::Adam optimizer(model->parameters(),
                               torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay));
  std::vector<EpochMetrics> history;
  runs::Position from;
  if (reader) {
    from = restore(*reader, *model, optimizer, history, c, dir, observer);
  } else {
    c.threads = at::get_num_threads();
    if (dp.leader()) write_fresh_run(dir, c, targets);
  }
  if (c.sync_batchnorm && dp.distributed()) models::set_sync_batch_norm(*model, dp.tensor_sum());
  dp.attach(*model);
  const int64_t global_batch = int64_t{c.batch_size} * dp.size();
  if (observer) observer->on_note(start_text(c, *model, train_set.size(), val_set.size(), targets, dp, job.group));

  const int64_t train_items = train_set.size();
  ColourRun run(c, std::move(train_set), 0, std::move(epoch_data), val_set, targets, eval_options, model, optimizer, dp,
                dir, history, observer);
  runs::LoopSettings loop;
  loop.epochs = c.epochs;
  loop.items = train_items;
  loop.global_batch = global_batch;
  loop.broadcast_buffers = !c.sync_batchnorm;
  loop.dir = dir;
  loop.kind = runs::RunKind::colourization;
  if (observer) loop.on_batch = [observer](int e, int64_t b, int64_t n) { observer->on_batch(e, b, n); };
  runs::run_epochs(run, optimizer, dp, loop, from);
  return {history, dir, train_items, val_set.size()};
}

}  // namespace tint::train
