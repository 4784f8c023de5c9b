#include "tint/train/palette_job.h"

#include <chrono>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/report/image_grid.h"
#include "tint/train/run_dir.h"

namespace tint::train {

PaletteJobResult run_palette(const PaletteJob& job) {
  const auto start = std::chrono::steady_clock::now();
  auto train = data::read_category(job.data_dir, data::Split::Train, job.category);
  ensure_directory(job.out_dir);
  const std::string label =
      job.category == "all" ? "all" : train.class_names[data::category_index(job.category, train.class_names)];

  PaletteJobResult result;
  result.palette = data::Palette::fit(train.images, job.kmeans, label, &result.kmeans);
  result.distinct_colours = result.kmeans.assignment.size(0);
  result.images = train.size();
  result.pixels = train.images.numel() / 3;
  result.json_path = job.out_dir / run_files::kPalette;
  result.png_path = job.out_dir / run_files::kPaletteSwatch;
  result.palette.save(result.json_path);
  data::write_png(result.png_path, report::palette_swatch(result.palette.colours()));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

data::Palette load_or_fit_palette(const TrainConfig& c, const std::function<torch::Tensor()>& train_images,
                                  TrainObserver* observer) {
  if (!c.palette_file.empty()) {
    auto p = data::Palette::load(c.palette_file);
    if (p.size() != c.net.num_colours) {
      throw Error(fmt::format("{}: palette has {} colours but --num-colours is {}", c.palette_file.string(), p.size(),
                              c.net.num_colours));
    }
    return p;
  }
  if (observer)
    observer->on_note(fmt::format("fitting a {}-colour palette (k-means, seed {})", c.net.num_colours, c.seed));
  auto p = data::Palette::fit(train_images(), {c.net.num_colours, c.seed, c.kmeans_iterations}, c.category);
  if (p.size() != c.net.num_colours) {
    throw Error(fmt::format("the training images have only {} distinct colours, fewer than --num-colours {}", p.size(),
                            c.net.num_colours));
  }
  return p;
}

}  // namespace tint::train
