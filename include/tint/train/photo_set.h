// Photos as a colourizer's training data (`tint train --images DIR`, issue 32).
//
// A folder of JPEG, PNG or WebP photos of any size is decoded once and kept as bytes (the 1,000 ImageNet sample
// photos of 256 pixels take 150 MB), so that an epoch costs its network steps, not its JPEG decoding. Grey photos
// are left out (they have no colour to learn; data::is_grey_photo). Every `1 / val_fraction`-th photo in name order is
// held out for validation: the split depends on the folder alone, so runs with other seeds or settings validate on
// the same photos.
//
// The scale is what makes photo training work: `tint colourize` runs the network on the whole photo shrunk to a
// working size (its shorter side: --size), so the network must learn colours at that scale. Each training example
// is a crop x crop square cut from a photo shrunk so its shorter side is photo_side x s, with s drawn log-uniformly
// from [1 / jitter, jitter] (scale augmentation), at a uniform position, mirrored with probability 1/2. An epoch
// draws crops_per_photo such squares from every training photo, each from its own generator (runs::SeedStream::item
// of the run's seed, the epoch and the crop's index), so an epoch's crops are the same whatever the number of
// workers or threads, and a resumed run draws what the uninterrupted one drew. Validation uses one fixed square per
// photo: the centre photo_side x photo_side square of the photo shrunk to shorter side photo_side (all of it at the
// working scale).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <torch/types.h>

namespace tint::train {

struct PhotoCropSettings {
  int crop = 64;               // side of a training square (pixels at the working scale)
  int photo_side = 128;        // the working scale: the shorter side photos are shrunk to (before jitter)
  int crops_per_photo = 8;     // squares per training photo per epoch
  double scale_jitter = 1.25;  // s in [1 / jitter, jitter]; 1 = no scale augmentation
};

struct PhotoSet {
  std::vector<torch::Tensor> train, val;  // (3, H, W) uint8, as decoded (EXIF orientation applied)
  std::vector<std::filesystem::path> train_files, val_files;
  std::vector<std::filesystem::path> grey_files;  // left out
};

// Reads every photo of `dir` (not its subfolders). Throws tint::Error naming the folder when it holds no colour photos
// or too few to hold out one, and naming the file for an unreadable one.
PhotoSet read_photo_set(const std::filesystem::path& dir, double val_fraction);

// The epoch's training squares: (photos.size() x crops_per_photo, 3, crop, crop) uint8, crop i cut from photo
// i / crops_per_photo.
torch::Tensor epoch_crops(const std::vector<torch::Tensor>& photos, const PhotoCropSettings& settings, uint64_t seed,
                          int epoch);

// The validation squares: (photos.size(), 3, photo_side, photo_side) uint8.
torch::Tensor centre_crops(const std::vector<torch::Tensor>& photos, int photo_side);

}  // namespace tint::train
