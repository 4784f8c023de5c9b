#include "tint/detect/fine_tune.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <tuple>

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "fine_tune_checkpoint.h"
#include "fine_tune_schedule.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/preprocess.h"
#include "tint/detect/augment.h"
#include "tint/detect/confusion_matrix.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/detector.h"
#include "tint/detect/draw_detections.h"
#include "tint/detect/evaluate_dataset.h"
#include "tint/detect/yolo_loss.h"
#include "tint/distributed/data_parallel.h"
#include "tint/report/image_grid.h"
#include "tint/runs/run_kind.h"
#include "tint/runs/run_loop.h"
#include "tint/runs/seeds.h"
#include "training_images.h"

namespace tint::detect {
namespace fs = std::filesystem;

namespace {

constexpr double kNoLoss = std::numeric_limits<double>::quiet_NaN();  // row 0: no training yet

// The first validation images at the network's input size with what the model finds at conf 0.25 drawn on them.
void write_predictions(const fs::path& png, const Detector& detector, const std::vector<CachedImage>& images,
                       int count) {
  std::vector<torch::Tensor> drawn;
  DetectOptions options;
  options.size = int(images.front().pixels.size(1));
  for (int i = 0; i < std::min<int>(count, int(images.size())); ++i) {
    const auto found = detector.detect(images[i].pixels, options);
    drawn.push_back(draw_detections(images[i].pixels, found, detector.names()).to(torch::kFloat).div(255));
  }
  data::write_image(png, report::make_grid({torch::stack(drawn)}, 4, 1));  // JPEG: photos, a tenth of PNG
}

// The whole validation set evaluated (COCO's AP, P and R at 0.25, the confusion matrix).
Evaluation validation_evaluation(const Detector& detector, const data::DetectionDataset& val, int side,
                                 Resample resample) {
  auto options = default_evaluation_options();
  options.detect.size = side;
  options.detect.resample = resample;  // the run's: validation photos made into inputs as the training ones
  return evaluate_dataset(detector, val, options);
}

// The validation columns of a metrics row: mAP, precision and recall (%).
DetectEpoch validation_scores(const Evaluation& e) {
  DetectEpoch row;
  row.map50 = 100 * e.map50;
  row.map50_95 = 100 * e.map50_95;
  row.precision = 100 * e.precision;
  row.recall = 100 * e.recall;
  return row;
}

// What a fine-tuning run works on: its model and classes, its data decoded at the network's side.
struct FineTuneInputs {
  DarknetModel model{nullptr};
  std::vector<std::string> names;
  int side = 0;
  data::DetectionDataset train_set, val_set;
  std::vector<CachedImage> train_images, val_images;
};

// A detection run as the run skeleton (runs/run_loop.h) drives it: its step, its validation and its files.
class DetectionRun final : public runs::RunSteps {
 public:
  DetectionRun(const FineTuneConfig& c, const FineTuneInputs& in, torch::optim::Optimizer& optimizer,
               distributed::DataParallel& dp, fs::path dir, std::vector<DetectEpoch>& history,
               FineTuneObserver* observer)
      : c_(c),
        in_(in),
        model_(in.model),
        detector_(in.model, in.names),
        optimizer_(optimizer),
        dp_(dp),
        dir_(std::move(dir)),
        history_(history),
        observer_(observer),
        augmentation_(augment_options(c)) {
    loss_options_.label_smoothing = float(c.label_smoothing);
    loss_options_.objectness_iou_target = c.objectness_iou_target;
    batches_ = (int64_t(in.train_images.size()) + global_batch() - 1) / global_batch();
    warmup_ = std::max<int64_t>(1, std::llround(c.warmup_epochs * double(batches_)));
  }

  int64_t global_batch() const { return int64_t(c_.batch_size) * dp_.size(); }

  // Row 0: the starting model's validation, before any training (rank 0).
  void record_start() {
    const auto t0 = runs::Clock::now();
    const auto evaluation = validation_evaluation(detector_, in_.val_set, in_.side, c_.resample);
    auto before = validation_scores(evaluation);
    before.box_loss = before.objectness_loss = before.class_loss = before.train_loss = kNoLoss;
    before.seconds = std::chrono::duration<double>(runs::Clock::now() - t0).count();
    history_.push_back(before);
    if (observer_) observer_->on_epoch(before, c_.epochs);
    write_files(0, evaluation);
  }

  void begin_epoch(int epoch) override {
    train_mode(*model_, c_.freeze);
    // Order and augmentation depend only on the seed, the epoch and the image, so a resumed run sees what the
    // uninterrupted one would have.
    order_ = data::seeded_permutation(int64_t(in_.train_images.size()),
                                      runs::derive_seed(c_.seed, runs::SeedStream::epoch_order, uint64_t(epoch)));
  }

  std::vector<double> step(const runs::BatchShare& s) override {
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<data::LabelledBox>> targets;
    for (int64_t k = s.first; k < s.last; ++k) {
      const int64_t i = order_[k].item<int64_t>();
      auto gen = at::detail::createCPUGenerator(
          runs::derive_seed(c_.seed, runs::SeedStream::item, uint64_t(s.epoch), uint64_t(i)));
      const auto& image = in_.train_images[i];
      auto a = augment(image.pixels.to(torch::kFloat).div(255), image.boxes, augmentation_, gen);
      pixels.push_back(a.pixels);
      targets.push_back(std::move(a.boxes));
    }
    // Dropout draws from the global generator: seeding it per batch makes a resumed run draw what the uninterrupted
    // one drew.
    torch::manual_seed(runs::derive_seed(c_.seed, runs::SeedStream::batch, uint64_t(s.epoch), uint64_t(s.batch)));
    const double rate =
        learning_rate_at(c_, int64_t(s.epoch) * batches_ + s.batch, warmup_, int64_t(c_.epochs) * batches_);
    for (auto& group : optimizer_.param_groups()) group.options().set_lr(rate);
    // box, objectness, class, total: the global batch's means (each worker its share of them)
    if (s.last == s.first) return {0.0, 0.0, 0.0, 0.0};
    const auto raw = model_->forward(torch::stack(pixels));
    const auto loss = compute_yolo_loss(raw, model_->heads(), targets, in_.side, in_.side, loss_options_);
    const double share = dp_.distributed() ? double(s.last - s.first) / double(s.end - s.begin) : 1.0;
    (dp_.distributed() ? loss.total * share : loss.total).backward();
    return {loss.box.item<double>() * share, loss.objectness.item<double>() * share,
            loss.classification.item<double>() * share, loss.total.item<double>() * share};
  }

  void save(const runs::Position& at) override {
    save_fine_tune_checkpoint(dir_ / run_files::kCheckpoint, c_, at, history_, *model_, optimizer_);
  }

  void end_epoch(int epoch, const std::vector<double>& mean, runs::Clock::time_point started) override {
    // Rank 0 validates on the whole set (the others wait at the next step's collectives).
    const auto evaluation =
        dp_.leader() ? validation_evaluation(detector_, in_.val_set, in_.side, c_.resample) : Evaluation{};
    auto row = validation_scores(evaluation);
    row.epoch = epoch + 1;
    row.box_loss = mean.at(0);
    row.objectness_loss = mean.at(1);
    row.class_loss = mean.at(2);
    row.train_loss = mean.at(3);
    row.seconds = std::chrono::duration<double>(runs::Clock::now() - started).count();
    history_.push_back(row);
    if (dp_.leader()) {
      write_files(epoch + 1, evaluation);
      WeightsHeader header;
      header.seen = uint64_t(epoch + 1) * uint64_t(in_.train_images.size());  // images seen in this fine-tuning
      save_weights(*model_, dir_ / run_files::kWeights, header);
      save({epoch + 1, 0, {0.0, 0.0, 0.0, 0.0}});
    }
    if (observer_) observer_->on_epoch(row, c_.epochs);
  }

 private:
  void write_files(int epoch, const Evaluation& evaluation) {
    const auto note = [this](const std::string& m) {
      if (observer_) observer_->on_note(m);  // the numbers are in metrics.csv and evaluation.json
    };
    write_detect_metrics(dir_, history_, note);
    write_predictions(dir_ / run_files::predictions(epoch), detector_, in_.val_images, c_.preview_images);
    auto json = evaluation_json(evaluation, in_.names);
    json["epoch"] = epoch;
    write_file_atomic(dir_ / kRunEvaluation, json.dump(2) + "\n");
    try {
      plot_confusion_matrix(dir_ / kRunConfusionMatrix, evaluation.confusion, in_.names);
    } catch (const Error& e) {
      note(fmt::format("confusion matrix not drawn: {}", e.what()));
    }
  }

  const FineTuneConfig& c_;
  const FineTuneInputs& in_;
  DarknetModel model_;
  Detector detector_;  // shares the module: validates the weights as they are
  torch::optim::Optimizer& optimizer_;
  distributed::DataParallel& dp_;
  fs::path dir_;
  std::vector<DetectEpoch>& history_;
  FineTuneObserver* observer_;
  AugmentOptions augmentation_;
  YoloLossOptions loss_options_;
  int64_t batches_ = 0, warmup_ = 0;
  torch::Tensor order_;
};

// The settings a run trains with: a resumed run's own (with --epochs and the new number of workers), or the job's
// with every path made absolute (config.json is read again by --resume, perhaps from another working directory).
FineTuneConfig run_settings(const FineTuneJob& job, const FineTuneCheckpoint* checkpoint, int workers,
                            FineTuneObserver* observer) {
  FineTuneConfig c = checkpoint ? checkpoint->config : job.config;
  if (checkpoint) {
    if (job.epochs_override > 0) c.epochs = job.epochs_override;
    const auto changed = runs::adapt_world_size(c.batch_size, c.world_size, workers, job.run_dir);
    if (changed && observer) observer->on_note(*changed);
  } else {
    c.world_size = workers;
  }
  if (c.data.empty()) throw Error("--data is required: the training dataset folder");
  validate(c);
  if (checkpoint) return c;
  const auto absolute = [](auto& p) {
    if (!fs::path(p).empty()) p = fs::absolute(fs::path(p)).lexically_normal().string();
  };
  absolute(c.data);
  absolute(c.val_data);
  for (auto* p : {&c.train_images, &c.val_images, &c.cfg, &c.weights, &c.names})
    if (!p->empty()) *p = fs::absolute(*p).lexically_normal();
  return c;
}

// The model (a resumed run rebuilds its own model.cfg; a new one starts from the pretrained files, its heads resized
// to the classes), its frozen layers, and the data decoded at its input side.
FineTuneInputs read_inputs(const FineTuneJob& job, const FineTuneConfig& c, bool resumed, FineTuneObserver* observer) {
  const auto note = [&](const std::string& m) {
    if (observer) observer->on_note(m);
  };
  FineTuneInputs in;
  torch::manual_seed(c.seed);  // new class rows of the heads
  if (resumed) {
    in.model = build_darknet_model(job.run_dir / run_files::kCfg);
    in.names = data::read_names(job.run_dir / run_files::kNames);
  } else {
    in.model = build_darknet_model(c.cfg.empty() ? job.default_cfg : c.cfg);
    load_weights(*in.model, c.cfg.empty() ? job.default_weights : c.weights);
    in.names = data::read_names(!c.names.empty() ? c.names : job.default_names);
    if (int(in.names.size()) != in.model->heads().front().num_classes) {
      note(
          fmt::format("{} classes instead of the model's {}: the yolo heads' class channels start afresh (box and "
                      "objectness weights kept)",
                      in.names.size(), in.model->heads().front().num_classes));
      in.model->set_num_classes(int(in.names.size()));
    }
  }
  in.side = c.size > 0 ? c.size : in.model->input_width();
  data::DetectionDatasetOptions train_options, val_options;
  train_options.image_list = c.train_images;
  val_options.image_list = c.val_images;
  in.train_set = data::read_detection_dataset(c.data, in.names, train_options);
  in.val_set = data::read_detection_dataset(c.val_data.empty() ? c.data : c.val_data, in.names, val_options);
  if (in.train_set.images.empty()) throw Error(fmt::format("{}: no training images", c.data));
  if (in.val_set.images.empty()) throw Error("no validation images");
  for (auto [set, images, what] : {std::tuple{&in.train_set, &in.train_images, "training set"},
                                   std::tuple{&in.val_set, &in.val_images, "validation set"}}) {
    *images = cache_images(*set, in.side, c.resample, [&](int64_t done, int64_t total) {
      if (observer) observer->on_batch(0, done, total);
    });
    note(fmt::format("{}: {} images decoded at {}x{}", what, images->size(), in.side, in.side));
  }
  return in;
}

// A fresh run's config.json (with its kind), model.cfg and classes.names.
void write_fresh_run(const fs::path& dir, const FineTuneConfig& c, const FineTuneInputs& in) {
  runs::write_config(dir, runs::RunKind::detection, to_json(c));
  write_cfg(dir / run_files::kCfg, in.model->cfg());
  write_stream_atomic(dir / run_files::kNames, [&](std::ostream& out) {
    for (const auto& n : in.names) out << n << "\n";
  });
}

}  // namespace

FineTuneResult fine_tune(const FineTuneJob& job, FineTuneObserver* observer) {
  distributed::DataParallel dp(job.group);
  if (!dp.leader()) observer = nullptr;  // rank 0 speaks for the job
  const fs::path dir = job.run_dir;
  std::unique_ptr<FineTuneCheckpoint> checkpoint;
  if (auto bytes = runs::open_run({dir, runs::RunKind::detection, job.resume, job.overwrite}, dp)) {
    checkpoint = std::make_unique<FineTuneCheckpoint>((dir / run_files::kCheckpoint).string(), *bytes);
  }
  FineTuneConfig c = run_settings(job, checkpoint.get(), dp.size(), observer);
  if (dp.leader()) ensure_directory(dir);
  FineTuneInputs in = read_inputs(job, c, checkpoint != nullptr, observer);
  const auto frozen = freeze_layers(*in.model, c.freeze);

  auto optimizer = make_optimizer(c, *in.model);
  std::vector<DetectEpoch> history;
  runs::Position from;
  if (checkpoint) {
    checkpoint->archive.restore_model(*in.model);
    checkpoint->archive.restore_optimizer(*optimizer);
    from = checkpoint->position;
    history = checkpoint->history;
    if (observer)
      observer->on_note(fmt::format("resuming {} at epoch {} of {}{}", dir.string(), from.epoch + 1, c.epochs,
                                    from.batches_done > 0 ? fmt::format(", batch {}", from.batches_done + 1) : ""));
  } else if (dp.leader()) {
    c.threads = at::get_num_threads();
    write_fresh_run(dir, c, in);
  }
  dp.attach(*in.model);
  if (observer)
    observer->on_note(fmt::format(
        "fine-tuning on {} images ({} objects), validating on {} ({} objects); {} of {} "
        "layers frozen ({} parameter tensors)",
        in.train_set.images.size(), in.train_set.num_objects(), in.val_set.images.size(), in.val_set.num_objects(),
        std::min(c.freeze, in.model->num_layers()), in.model->num_layers(), frozen.size()));
  DetectionRun run(c, in, *optimizer, dp, dir, history, observer);
  if (history.empty() && dp.leader()) run.record_start();

  runs::LoopSettings loop;
  loop.epochs = c.epochs;
  loop.items = int64_t(in.train_images.size());
  loop.global_batch = run.global_batch();
  loop.loss_parts = 4;
  loop.dir = dir;
  loop.kind = runs::RunKind::detection;
  if (observer) loop.on_batch = [observer](int e, int64_t b, int64_t n) { observer->on_batch(e, b, n); };
  runs::run_epochs(run, *optimizer, dp, loop, from);
  return {history, dir, loop.items, int64_t(in.val_images.size())};
}

}  // namespace tint::detect
