// `tint palette`: fit the colour palette on a category's training images and write palette.json + palette.png.
#pragma once

#include <filesystem>
#include <string>

#include "tint/data/palette.h"

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

}  // namespace tint::train
