#include "tint/train/palette_job.h"

#include <chrono>

#include "tint/core/atomic_file.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/report/image_grid.h"

namespace tint::train {

PaletteJobResult run_palette(const PaletteJob& job) {
  const auto start = std::chrono::steady_clock::now();
  auto names = data::read_class_names(job.data_dir);
  std::optional<int> category;
  if (job.category != "all") category = data::category_index(job.category, names);
  ensure_directory(job.out_dir);
  auto train = data::read_cifar10(job.data_dir, data::Split::Train, category);
  const std::string label = category ? names[*category] : "all";

  PaletteJobResult result;
  result.palette = data::Palette::fit(train.images, job.kmeans, label, &result.kmeans);
  result.distinct_colours = result.kmeans.assignment.size(0);
  result.images = train.size();
  result.pixels = train.images.numel() / 3;
  result.json_path = job.out_dir / "palette.json";
  result.png_path = job.out_dir / "palette.png";
  result.palette.save(result.json_path);
  data::write_png(result.png_path, report::palette_swatch(result.palette.colours()));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace tint::train
