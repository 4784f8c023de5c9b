#include "tint/detect/fine_tune.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/checkpoint_archive.h"
#include "tint/core/error.h"
#include "tint/core/resume.h"
#include "tint/core/interrupt.h"
#include "tint/core/whole_number.h"
#include "tint/distributed/data_parallel.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/preprocess.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/detector.h"
#include "tint/detect/draw_detections.h"
#include "tint/detect/evaluate_dataset.h"
#include "tint/detect/yolo_loss.h"
#include "tint/report/image_grid.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::detect {
namespace fs = std::filesystem;

std::string run_files::predictions(int epoch) { return fmt::format("predictions_epoch_{:02d}.jpg", epoch); }

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kMagic = "tint-detect-checkpoint";
constexpr int64_t kVersion = 1;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string> kMetricColumns = {"epoch",     "box_loss",  "obj_loss", "cls_loss", "train_loss",
                                                 "map50",     "map50_95",  "precision", "recall",  "seconds"};

std::vector<double> to_row(const DetectEpoch& e) {
  return {double(e.epoch), e.box_loss, e.objectness_loss, e.class_loss, e.train_loss,
          e.map50,         e.map50_95, e.precision,       e.recall,     e.seconds};
}

// A row of kMetricColumns' numbers; its epoch v[0] converted by the caller, who checks it first (whole_int).
DetectEpoch from_row(int epoch, const std::vector<double>& v) {
  return {epoch, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
}

// JSON has no NaN (row 0's losses): they are stored as null and read back as NaN.
nlohmann::json history_json(const std::vector<DetectEpoch>& history) {
  auto list = nlohmann::json::array();
  for (const auto& e : history) {
    auto row = nlohmann::json::array();
    for (double v : to_row(e)) row.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    list.push_back(row);
  }
  return list;
}

DetectEpoch history_row(const nlohmann::json& row) {
  std::vector<double> v;
  for (const auto& cell : row) v.push_back(cell.is_null() ? kNaN : cell.get<double>());
  if (v.size() != kMetricColumns.size()) throw Error("a history row of the wrong length");
  // Epochs run from 0 (the model before training); the JSON holds them as reals (history_json).
  const auto epoch = whole_int(v[0], 0);
  if (!epoch) throw Error(fmt::format("a history row's epoch is {}, expected a whole number from 0", v[0]));
  return from_row(*epoch, v);
}

// A training image, decoded once and kept at the network's input size (uint8: a quarter of float's memory).
struct CachedImage {
  torch::Tensor pixels;  // (3, S, S) uint8
  std::vector<data::LabelledBox> boxes;  // in network-input pixels
};

std::vector<CachedImage> cache_images(const data::DetectionDataset& set, int side, FineTuneObserver* observer,
                                      const char* what) {
  std::vector<CachedImage> images;
  for (const auto& image : set.images) {
    const auto in = network_input(data::read_image(image.path), side, side, ResizeMode::stretch);
    CachedImage c{data::to_bytes(in.pixels), {}};
    for (auto b : image.objects) {
      b.box = {b.box.x1 * in.placement.scale_x, b.box.y1 * in.placement.scale_y, b.box.x2 * in.placement.scale_x,
               b.box.y2 * in.placement.scale_y};
      c.boxes.push_back(b);
    }
    images.push_back(std::move(c));
    if (observer) observer->on_batch(0, int64_t(images.size()), int64_t(set.images.size()));
  }
  if (observer) observer->on_note(fmt::format("{}: {} images decoded at {}x{}", what, images.size(), side, side));
  return images;
}

// The learning rate at global step t of `total`: a linear warm-up over `warmup` steps, then a half cosine from the
// peak to a tenth of it (YOLOv5's one-cycle ends at lrf = 0.1 likewise).
double learning_rate_at(const FineTuneConfig& c, int64_t t, int64_t warmup, int64_t total) {
  if (t < warmup) return c.learning_rate * double(t + 1) / double(warmup);
  const double progress = total > warmup ? double(t - warmup) / double(total - warmup) : 1.0;
  return c.learning_rate * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * progress)));
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const FineTuneConfig& c, DarknetModelImpl& model) {
  std::vector<torch::Tensor> trainable;
  for (auto& p : model.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  if (trainable.empty()) throw Error("--freeze leaves no parameter to train");
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        trainable, torch::optim::SGDOptions(c.learning_rate).momentum(c.momentum).nesterov(c.momentum > 0)
                       .weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::Adam>(
      trainable, torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay));
}

// Frozen layers also keep their batchnorm statistics: in train mode they would drift to the new data while their
// scales and shifts stay fixed.
void train_mode(DarknetModelImpl& model, int freeze) {
  model.train();
  for (int i = 0; i < std::min(freeze, model.num_layers()); ++i)
    if (auto conv = model.conv(i)) conv->eval();
}

struct Progress {
  int epoch = 0;  // epochs completed
  int64_t batches_done = 0;
  double sums[4] = {0, 0, 0, 0};  // box, objectness, class, total over the batches done
  std::vector<DetectEpoch> history;
};

void save_checkpoint(const fs::path& path, const FineTuneConfig& c, const Progress& p, DarknetModelImpl& model,
                     torch::optim::Optimizer& optimizer) {
  CheckpointWriter archive(kMagic, kVersion);
  archive.put("config", to_json(c));
  archive.put("epoch", int64_t{p.epoch});
  archive.put("batches_done", p.batches_done);
  archive.put("sums", nlohmann::json(std::vector<double>(p.sums, p.sums + 4)));
  archive.put("history", history_json(p.history));
  archive.put_state(model, optimizer);
  archive.save(path);
}

// A checkpoint read back: the run's config and position; the weights and optimizer state wait in `archive` until
// the model is built.
struct CheckpointReader {
  // From the bytes of the checkpoint file `name` (a data-parallel worker gets them from rank 0).
  CheckpointReader(const std::string& file, const std::string& bytes) : archive(file, bytes, kMagic, kVersion) {
    const std::string& name = archive.name();
    config = fine_tune_config_from_json(archive.json("config"), name + " (config)");
    progress.epoch = int(archive.integer("epoch", 0, std::numeric_limits<int>::max()));
    progress.batches_done = archive.integer("batches_done");
    try {
      const auto sums = archive.json("sums").get<std::vector<double>>();
      if (sums.size() != 4) throw Error("sums");
      std::copy(sums.begin(), sums.end(), progress.sums);
      for (const auto& row : archive.json("history")) progress.history.push_back(history_row(row));
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: damaged checkpoint ({})", name, message_of(e)));
    }
  }
  CheckpointArchive archive;
  FineTuneConfig config;
  Progress progress;
};

void write_metrics(const fs::path& dir, const std::vector<DetectEpoch>& history, FineTuneObserver* observer) {
  report::Table table(kMetricColumns);
  for (const auto& e : history) table.add_row(to_row(e));
  table.save(dir / run_files::kMetrics);
  if (history.size() < 2) return;  // row 0 alone has no losses to draw
  report::LinePlot plot{"Fine-tuning", "epoch", "loss (per image)", "validation mAP (%)"};
  plot.series = {{run_files::kMetrics, "epoch", "box_loss", "box loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "obj_loss", "objectness loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "cls_loss", "class loss", false, "linespoints"},
                 {run_files::kMetrics, "epoch", "map50", "mAP@0.5", true, "linespoints"},
                 {run_files::kMetrics, "epoch", "map50_95", "mAP@0.5:0.95", true, "linespoints"}};
  try {
    report::plot_lines(dir / run_files::kTrainingCurve, plot);
  } catch (const Error& e) {
    if (observer) observer->on_note(std::string("warning: ") + e.what());  // the numbers are in metrics.csv
  }
}

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

DetectEpoch validate_model(const Detector& detector, const data::DetectionDataset& val, int side) {
  auto options = default_evaluation_options();
  options.detect.size = side;
  const auto e = evaluate_dataset(detector, val, options);
  DetectEpoch row;
  row.map50 = 100 * e.map50;
  row.map50_95 = 100 * e.map50_95;
  row.precision = 100 * e.precision;
  row.recall = 100 * e.recall;
  return row;
}

}  // namespace

bool is_detect_run_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / run_files::kConfig, ec) && fs::is_regular_file(dir / run_files::kCfg, ec);
}

std::vector<DetectEpoch> read_detect_metrics(const fs::path& path) {
  const auto rows = report::parse_csv(read_file(path));
  if (rows.empty() || rows[0] != kMetricColumns)
    throw Error(fmt::format("{}: not a detection metrics.csv (expected the columns {})", path.string(),
                            fmt::join(kMetricColumns, ",")));
  std::vector<DetectEpoch> history;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != kMetricColumns.size())
      throw Error(fmt::format("{}:{}: expected {} cells", path.string(), r + 1, kMetricColumns.size()));
    std::vector<double> v;
    for (const auto& cell : rows[r]) {
      try {
        size_t used = 0;
        v.push_back(std::stod(cell, &used));
        if (used != cell.size()) throw std::invalid_argument(cell);
      } catch (const std::exception&) {
        throw Error(fmt::format("{}:{}: '{}' is not a number", path.string(), r + 1, cell));
      }
    }
    // Casting 1e10 (or nan) to int is undefined behaviour: the epoch is checked first (core/whole_number.h).
    const auto epoch = whole_int(v[0], 0);
    if (!epoch) {
      throw Error(fmt::format("{}:{}: column 'epoch' holds '{}', not an epoch number (0, 1, ...)", path.string(), r + 1,
                              rows[r][0]));
    }
    history.push_back(from_row(*epoch, v));
  }
  return history;
}

FineTuneResult fine_tune(const FineTuneJob& job, FineTuneObserver* observer) {
  distributed::DataParallel dp(job.group);
  if (!dp.leader()) observer = nullptr;  // rank 0 speaks for the job
  const auto note = [&](const std::string& m) {
    if (observer) observer->on_note(m);
  };
  const fs::path dir = job.run_dir, checkpoint = dir / run_files::kCheckpoint;
  std::unique_ptr<CheckpointReader> reader;
  FineTuneConfig c = job.config;
  if (job.resume) {
    reader = std::make_unique<CheckpointReader>(
        checkpoint.string(),
        dp.from_leader([&] { return read_checkpoint_to_resume(dir, run_files::kCheckpoint, "tint detect train"); }));
    c = reader->config;
    if (job.epochs_override > 0) c.epochs = job.epochs_override;
    if (c.world_size != dp.size()) {
      const int batch = distributed::resumed_batch_size(c.batch_size, c.world_size, dp.size(), dir.string());
      note(fmt::format("{} was trained by {} worker(s) of batch {}; continuing with {} of batch {} (global batch {} "
                       "unchanged)",
                       dir.string(), c.world_size, c.batch_size, dp.size(), batch, c.batch_size * c.world_size));
      c.batch_size = batch;
      c.world_size = dp.size();
    }
  } else {
    if (dp.leader() && fs::exists(checkpoint) && !job.overwrite) {
      throw Error(fmt::format("{} already holds a run: continue it with --resume {} or choose another --out",
                              dir.string(), dir.string()));
    }
    c.world_size = dp.size();
  }
  if (c.data.empty()) throw Error("--data is required: the training dataset folder");
  validate(c);
  if (!reader) {
    // config.json is read again by --resume, perhaps from another working directory.
    const auto absolute = [](auto& p) {
      if (!fs::path(p).empty()) p = fs::absolute(fs::path(p)).lexically_normal().string();
    };
    absolute(c.data);
    absolute(c.val_data);
    for (auto* p : {&c.train_images, &c.val_images, &c.cfg, &c.weights, &c.names})
      if (!p->empty()) *p = fs::absolute(*p).lexically_normal();
  }
  if (dp.leader()) ensure_directory(dir);

  // The model: a resumed run rebuilds its own model.cfg; a new one starts from the pretrained files.
  torch::manual_seed(c.seed);  // new class rows of the heads
  DarknetModel model{nullptr};
  std::vector<std::string> names;
  if (reader) {
    model = build_darknet_model(dir / run_files::kCfg);
    names = data::read_names(dir / run_files::kNames);
  } else {
    const fs::path cfg = c.cfg.empty() ? job.default_cfg : c.cfg;
    const fs::path weights = c.cfg.empty() ? job.default_weights : c.weights;
    model = build_darknet_model(cfg);
    load_weights(*model, weights);
    names = data::read_names(!c.names.empty() ? c.names : job.default_names);
    if (int(names.size()) != model->heads().front().num_classes) {
      note(fmt::format("{} classes instead of the model's {}: the yolo heads' class channels start afresh (box and "
                       "objectness weights kept)",
                       names.size(), model->heads().front().num_classes));
      model->set_num_classes(int(names.size()));
    }
  }
  const int side = c.size > 0 ? c.size : model->input_width();
  const auto frozen = freeze_layers(*model, c.freeze);

  data::DetectionDatasetOptions train_options, val_options;
  train_options.image_list = c.train_images;
  val_options.image_list = c.val_images;
  const auto train_set = data::read_detection_dataset(c.data, names, train_options);
  const auto val_set =
      data::read_detection_dataset(c.val_data.empty() ? c.data : c.val_data, names, val_options);
  if (train_set.images.empty()) throw Error(fmt::format("{}: no training images", c.data));
  if (val_set.images.empty()) throw Error("no validation images");
  const auto train_images = cache_images(train_set, side, observer, "training set");
  const auto val_images = cache_images(val_set, side, observer, "validation set");

  auto optimizer = make_optimizer(c, *model);
  Progress progress;
  if (reader) {
    reader->archive.restore_model(*model);
    reader->archive.restore_optimizer(*optimizer);
    progress = reader->progress;
    note(fmt::format("resuming {} at epoch {} of {}{}", dir.string(), progress.epoch + 1, c.epochs,
                     progress.batches_done > 0 ? fmt::format(", batch {}", progress.batches_done + 1) : ""));
  } else if (dp.leader()) {
    c.threads = at::get_num_threads();
    write_file_atomic(dir / run_files::kConfig, to_json(c).dump(2) + "\n");
    write_cfg(dir / run_files::kCfg, model->cfg());
    write_stream_atomic(dir / run_files::kNames, [&](std::ostream& out) {
      for (const auto& n : names) out << n << "\n";
    });
  }
  dp.attach(*model);
  Detector detector(model, names);  // shares the module: validates the weights as they are
  note(fmt::format("fine-tuning on {} images ({} objects), validating on {} ({} objects); {} of {} layers frozen "
                   "({} parameter tensors)",
                   train_set.images.size(), train_set.num_objects(), val_set.images.size(), val_set.num_objects(),
                   std::min(c.freeze, model->num_layers()), model->num_layers(), frozen.size()));
  if (progress.history.empty() && dp.leader()) {
    const auto t0 = Clock::now();
    auto before = validate_model(detector, val_set, side);
    before.box_loss = before.objectness_loss = before.class_loss = before.train_loss = kNaN;
    before.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    progress.history.push_back(before);
    if (observer) observer->on_epoch(before, c.epochs);
    write_metrics(dir, progress.history, observer);
    write_predictions(dir / run_files::predictions(0), detector, val_images, c.preview_images);
  }

  YoloLossOptions loss_options;
  loss_options.label_smoothing = float(c.label_smoothing);
  loss_options.objectness_iou_target = c.objectness_iou_target;
  const auto augmentation = augment_options(c);
  const int64_t n = int64_t(train_images.size());
  const int64_t global_batch = int64_t(c.batch_size) * dp.size();
  const int64_t batches = (n + global_batch - 1) / global_batch;
  const int64_t warmup = std::max<int64_t>(1, std::llround(c.warmup_epochs * double(batches)));
  const int64_t total_steps = int64_t(c.epochs) * batches;

  for (int epoch = progress.epoch; epoch < c.epochs; ++epoch) {
    const auto t0 = Clock::now();
    train_mode(*model, c.freeze);
    // Order and augmentation depend only on the seed, the epoch and the image, so a resumed run sees what the
    // uninterrupted one would have.
    const auto order = data::seeded_permutation(n, c.seed * 1000003u + uint64_t(epoch));
    for (int64_t b = progress.batches_done; b < batches; ++b) {
      std::vector<torch::Tensor> pixels;
      std::vector<std::vector<data::LabelledBox>> targets;
      // The global batch is what one process would take; each worker takes its contiguous share of it.
      const int64_t begin = b * global_batch, end = std::min(n, begin + global_batch);
      const auto [first, last] = dp.share(begin, end);
      for (int64_t k = first; k < last; ++k) {
        const int64_t i = order[k].item<int64_t>();
        auto gen = at::detail::createCPUGenerator(c.seed ^ (uint64_t(epoch) << 32) ^ uint64_t(i) * 0x9E3779B97F4A7C15u);
        auto a = augment(train_images[i].pixels.to(torch::kFloat).div(255), train_images[i].boxes, augmentation, gen);
        pixels.push_back(a.pixels);
        targets.push_back(std::move(a.boxes));
      }
      // Dropout draws from the global generator: seeding it per batch makes a resumed run draw what the
      // uninterrupted one drew.
      torch::manual_seed(c.seed * 1000003u + uint64_t(epoch) * 100003u + uint64_t(b));
      for (auto& group : optimizer->param_groups())
        group.options().set_lr(learning_rate_at(c, int64_t(epoch) * batches + b, warmup, total_steps));
      optimizer->zero_grad();
      dp.broadcast_buffers();
      dp.before_backward();
      // box, objectness, class, total: the global batch's means (each worker its share of them)
      std::vector<double> parts(4, 0.0);
      if (last > first) {
        const auto raw = model->forward(torch::stack(pixels));
        const auto loss = compute_yolo_loss(raw, model->heads(), targets, side, side, loss_options);
        const double share = dp.distributed() ? double(last - first) / double(end - begin) : 1.0;
        (dp.distributed() ? loss.total * share : loss.total).backward();
        parts = {loss.box.item<double>() * share, loss.objectness.item<double>() * share,
                 loss.classification.item<double>() * share, loss.total.item<double>() * share};
      }
      dp.after_backward();
      bool stop = interrupt_requested();
      if (dp.distributed()) {
        // One small collective: the global losses, and whether any worker was asked to stop, so all stop together.
        parts.push_back(stop ? 1.0 : 0.0);
        dp.sum(parts);
        stop = parts[4] > 0;
      }
      const double value = parts[3];
      if (!std::isfinite(value))
        throw Error(fmt::format("the loss became {} at epoch {}, batch {}: stopping (the last checkpoint is kept; "
                                "try a smaller --lr)",
                                value, epoch + 1, b + 1));
      optimizer->step();
      for (int k = 0; k < 4; ++k) progress.sums[k] += parts[k];
      progress.batches_done = b + 1;
      if (observer) observer->on_batch(epoch + 1, b + 1, batches);
      if (stop && b + 1 < batches) {
        if (dp.leader()) save_checkpoint(checkpoint, c, progress, *model, *optimizer);
        throw Interrupted(fmt::format("interrupted at epoch {}, batch {} of {}; checkpoint saved. Continue with: tint "
                                      "detect train --resume {}",
                                      epoch + 1, b + 1, batches, dir.string()));
      }
    }
    // Rank 0 validates on the whole set (the others wait at the next step's collectives).
    auto row = dp.leader() ? validate_model(detector, val_set, side) : DetectEpoch{};
    row.epoch = epoch + 1;
    row.box_loss = progress.sums[0] / double(batches);
    row.objectness_loss = progress.sums[1] / double(batches);
    row.class_loss = progress.sums[2] / double(batches);
    row.train_loss = progress.sums[3] / double(batches);
    row.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    progress.history.push_back(row);
    progress.epoch = epoch + 1;
    progress.batches_done = 0;
    std::fill(progress.sums, progress.sums + 4, 0.0);
    if (dp.leader()) {
      write_metrics(dir, progress.history, observer);
      write_predictions(dir / run_files::predictions(epoch + 1), detector, val_images, c.preview_images);
      WeightsHeader header;
      header.seen = uint64_t(progress.epoch) * uint64_t(n);  // images seen in this fine-tuning
      save_weights(*model, dir / run_files::kWeights, header);
      save_checkpoint(checkpoint, c, progress, *model, *optimizer);
    }
    if (observer) observer->on_epoch(row, c.epochs);
    bool stop = interrupt_requested();
    if (dp.distributed()) {
      std::vector<double> asked{stop ? 1.0 : 0.0};
      dp.sum(asked);
      stop = asked[0] > 0;
    }
    if (stop && epoch + 1 < c.epochs)
      throw Interrupted(fmt::format("interrupted after epoch {}; checkpoint saved. Continue with: tint detect train "
                                    "--resume {}",
                                    epoch + 1, dir.string()));
  }
  return {progress.history, dir, n, int64_t(val_images.size())};
}

}  // namespace tint::detect
