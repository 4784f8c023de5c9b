// Palettes for training: `tint palette` (fit on a category's training images, write palette.json + palette.png),
// and the one rule every training job follows to get its palette (load_or_fit_palette).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "tint/data/palette.h"
#include "tint/train/config.h"
#include "tint/train/trainer.h"

namespace tint::train {

struct PaletteJob {
  std::filesystem::path data_dir;  // CIFAR-10 directory (full or subset layout)
  std::string category = "horse";  // name, index, or "all"
  data::KMeansOptions kmeans;
  std::filesystem::path out_dir;
};

struct PaletteJobResult {
  data::Palette palette;
  data::KMeansResult kmeans;
  int64_t distinct_colours = 0;
  int64_t images = 0;
  int64_t pixels = 0;
  double seconds = 0.0;
  std::filesystem::path json_path, png_path;
};

PaletteJobResult run_palette(const PaletteJob& job);

// The palette of a run (or of every run of a sweep): config.palette_file when set, else k-means with the config's
// K, seed and iteration limit over `train_images()` (called only then). Throws tint::Error when the palette does not
// have exactly num_colours colours (a loaded file of another size, or images with fewer distinct colours).
data::Palette load_or_fit_palette(const TrainConfig& config, const std::function<torch::Tensor()>& train_images,
                                  TrainObserver* observer);

}  // namespace tint::train
