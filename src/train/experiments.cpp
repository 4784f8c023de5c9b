#include "tint/train/experiments.h"

#include <algorithm>
#include <optional>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/models/model_table.h"
#include "tint/report/image_grid.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/palette_job.h"
#include "tint/train/run_dir.h"

namespace tint::train {
namespace fs = std::filesystem;

const std::vector<std::string>& sweep_parameters() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& row : train_settings()) {
      if (row.sweepable) n.push_back(row.flag);
    }
    return n;
  }();
  return names;
}

void apply_sweep_value(TrainConfig& config, const std::string& parameter, const std::string& value) {
  const auto* row = find_setting(train_settings(), parameter);
  if (row == nullptr || !row->sweepable) {
    throw Error(fmt::format("cannot sweep '{}': expected one of {}", parameter, fmt::join(sweep_parameters(), ", ")));
  }
  TrainConfig c = config;  // changed only once the new value is known to be valid, with the flag's own range
  try {
    row->parse(c, value);
    validate(c);
  } catch (const Error& e) {
    throw Error(fmt::format("--values: {}", e.what()));
  }
  config = c;
}

namespace {

void plot_comparison(const SweepJob& job, const std::vector<SweepRun>& runs, TrainObserver* observer) {
  const fs::path& dir = job.out_dir;
  std::vector<NamedHistory> histories;
  for (const auto& r : runs) histories.emplace_back(r.value, r.history);
  per_epoch_table(histories, &EpochMetrics::train_loss).save(dir / "train_loss.csv");
  per_epoch_table(histories, &EpochMetrics::val_loss).save(dir / "val_loss.csv");
  per_epoch_table(histories, &EpochMetrics::val_acc).save(dir / "val_acc.csv");
  report::LinePlot loss{fmt::format("Loss by {} (solid: validation, dashed: training)", job.parameter), "epoch",
                        "cross-entropy loss (per pixel)"};
  report::LinePlot acc{fmt::format("Validation accuracy by {}", job.parameter), "epoch", "validation accuracy (%)"};
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& v = runs[i].value;
    const auto colour = fmt::format("linecolor {}", i + 1);
    loss.series.push_back({"val_loss.csv", "epoch", v, job.parameter + " " + v, false, "linespoints " + colour});
    loss.series.push_back({"train_loss.csv", "epoch", v, "", false, "lines dashtype 2 " + colour});
    acc.series.push_back({"val_acc.csv", "epoch", v, job.parameter + " " + v, false, "linespoints " + colour});
  }
  try {
    report::plot_lines(dir / "loss_curves.png", loss);
    report::plot_lines(dir / "accuracy_curves.png", acc);
  } catch (const Error& e) {
    if (observer) observer->on_note(std::string("warning: ") + e.what());
  }
}

// Rows: greyscale input, ground truth, then each run's final prediction (decoded as the run says), on the same
// validation images. The ground truth is the palette's colours when every run predicts them (the source's figure),
// else the images themselves.
void write_sample_comparison(const SweepJob& job, const std::vector<SweepRun>& runs,
                             const std::optional<data::Palette>& palette, bool all_palette) {
  auto images = data::read_category(job.data_dir, data::Split::Test, job.base.category).images;
  images = images.slice(0, 0, std::min<int64_t>(job.base.sample_count, images.size(0)));
  const auto grey = data::to_network_input(images);
  const auto lightness = data::rgb_to_lab(images).slice(1, 0, 1);
  std::vector<torch::Tensor> rows{grey, all_palette ? palette->colourize(palette->label(data::to_unit_rgb(images)))
                                                    : images.to(torch::kFloat32) / 255.0f};
  torch::NoGradGuard no_grad;
  for (const auto& r : runs) {
    CheckpointReader reader(r.run_dir / run_files::kCheckpoint);
    auto model = load_model(reader);
    model->eval();
    rows.push_back(colour_targets(reader.meta())
                       .predicted_rgb(model->forward(grey), lightness, ab_decoding(reader.meta().config)));
  }
  data::write_png(job.out_dir / runs::sweep_files::kSamples, report::make_grid(rows, 2, 2));
}

}  // namespace

std::vector<SweepRun> run_sweep(const SweepJob& job, TrainObserver* observer) {
  if (job.values.empty()) throw Error("--values: give at least one value");
  std::vector<TrainConfig> configs;
  for (const auto& v : job.values) {
    TrainConfig c = job.base;
    apply_sweep_value(c, job.parameter, v);                         // every value is checked before any training starts
    if (c.target == ColourTarget::ab_bins) c.palette_file.clear();  // the sweep's --palette is for its palette runs
    try {
      check_target_settings(c);
    } catch (const Error& e) {
      throw Error(fmt::format("{} {}: {}", job.parameter, v, e.what()));
    }
    configs.push_back(c);
  }
  ensure_directory(job.out_dir);

  // One palette for every palette run, so that the runs differ only in the swept setting (ab-bins runs fit their bins
  // to the same training images, so theirs are the same too).
  auto is_palette = [](const TrainConfig& c) { return c.target == ColourTarget::palette; };
  const bool any_palette = std::any_of(configs.begin(), configs.end(), is_palette);
  const bool all_palette = std::all_of(configs.begin(), configs.end(), is_palette);
  const fs::path palette_path = job.out_dir / run_files::kPalette;
  std::optional<data::Palette> palette;
  if (any_palette) {
    palette = load_or_fit_palette(
        job.base, [&] { return data::read_category(job.data_dir, data::Split::Train, job.base.category).images; },
        observer);
    palette->save(palette_path);
  }

  std::vector<SweepRun> runs;
  report::Table summary({job.parameter, "epochs", "train_loss", "val_loss", "val_acc", "seconds"});
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto& value = job.values[i];
    if (observer) observer->on_note(fmt::format("== {} {} ({} of {}) ==", job.parameter, value, i + 1, configs.size()));
    TrainJob run;
    run.config = configs[i];
    run.config.palette_file = run.config.target == ColourTarget::ab_bins ? fs::path() : palette_path;
    run.data_dir = job.data_dir;
    run.run_dir = job.out_dir / fmt::format("{}-{}", job.parameter, value);
    run.overwrite = true;
    auto result = train(run, observer);
    double seconds = 0.0;
    for (const auto& m : result.history) seconds += m.seconds;
    const auto& last = result.history.back();
    summary.add_text_row({value, std::to_string(last.epoch), fmt::format("{:.10g}", last.train_loss),
                          fmt::format("{:.10g}", last.val_loss), fmt::format("{:.10g}", last.val_acc),
                          fmt::format("{:.3f}", seconds)});
    runs.push_back({value, run.run_dir, result.history});
    summary.save(job.out_dir / runs::sweep_files::kSummary);  // after every run: a partial sweep keeps what it finished
  }
  plot_comparison(job, runs, observer);
  write_sample_comparison(job, runs, palette, all_palette);
  return runs;
}

}  // namespace tint::train
