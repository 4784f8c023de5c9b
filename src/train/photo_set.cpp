#include "tint/train/photo_set.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/photo_crops.h"
#include "tint/runs/seeds.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {

// [0, 1) from the top 53 bits: the same numbers from every standard library (std::uniform_real_distribution's
// algorithm is left to the implementation).
double unit(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// The side, in the photo's pixels, of a square that becomes `out` pixels when the photo's shorter side is shrunk to
// `shorter_target`; at most the shorter side itself.
int64_t source_side(const torch::Tensor& photo, double shorter_target, int64_t out) {
  const int64_t shorter = std::min(photo.size(1), photo.size(2));
  const auto side = static_cast<int64_t>(std::lround(static_cast<double>(out) * shorter / shorter_target));
  return std::clamp<int64_t>(side, 1, shorter);
}

}  // namespace

PhotoSet read_photo_set(const fs::path& dir, double val_fraction) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("--images {}: not a folder", dir.string()));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && data::is_readable_image_name(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  PhotoSet set;
  std::vector<torch::Tensor> photos;
  std::vector<fs::path> colour_files;
  for (const auto& f : files) {
    auto photo = data::read_image(f);
    if (data::is_grey_photo(photo)) {
      set.grey_files.push_back(f);
      continue;
    }
    photos.push_back(std::move(photo));
    colour_files.push_back(f);
  }
  // Photo i is held out when the count floor((i + 1) f) steps up: every 1/f-th photo, spread over the name order.
  for (size_t i = 0; i < photos.size(); ++i) {
    const bool held_out = std::floor((i + 1) * val_fraction) > std::floor(i * val_fraction);
    (held_out ? set.val : set.train).push_back(std::move(photos[i]));
    (held_out ? set.val_files : set.train_files).push_back(colour_files[i]);
  }
  if (set.train.empty() || set.val.empty()) {
    throw Error(
        fmt::format("--images {}: {} colour photos ({} grey left out) cannot give both training and "
                    "validation photos at --val-fraction {:g}",
                    dir.string(), colour_files.size(), set.grey_files.size(), val_fraction));
  }
  return set;
}

torch::Tensor epoch_crops(const std::vector<torch::Tensor>& photos, const PhotoCropSettings& s, uint64_t seed,
                          int epoch) {
  const int64_t n = static_cast<int64_t>(photos.size()) * s.crops_per_photo;
  auto out = torch::empty({n, 3, s.crop, s.crop}, torch::kUInt8);
  const double log_jitter = std::log(s.scale_jitter);
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& photo = photos[static_cast<size_t>(i / s.crops_per_photo)];
      std::mt19937_64 g(
          runs::derive_seed(seed, runs::SeedStream::item, static_cast<uint64_t>(epoch), static_cast<uint64_t>(i)));
      const double scale = std::exp((2.0 * unit(g) - 1.0) * log_jitter);
      data::CropWindow w;
      w.side = source_side(photo, s.photo_side * scale, s.crop);
      w.top = static_cast<int64_t>(unit(g) * static_cast<double>(photo.size(1) - w.side + 1));
      w.left = static_cast<int64_t>(unit(g) * static_cast<double>(photo.size(2) - w.side + 1));
      w.flip = unit(g) < 0.5;
      out[i].copy_(data::crop_resized(photo, w, s.crop));
    }
  });
  return out;
}

torch::Tensor centre_crops(const std::vector<torch::Tensor>& photos, int photo_side) {
  auto out = torch::empty({static_cast<int64_t>(photos.size()), 3, photo_side, photo_side}, torch::kUInt8);
  for (size_t i = 0; i < photos.size(); ++i) {
    const auto& photo = photos[i];
    data::CropWindow w;
    w.side = source_side(photo, photo_side, photo_side);
    w.top = (photo.size(1) - w.side) / 2;
    w.left = (photo.size(2) - w.side) / 2;
    out[static_cast<int64_t>(i)].copy_(data::crop_resized(photo, w, photo_side));
  }
  return out;
}

}  // namespace tint::train
