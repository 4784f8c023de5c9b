// Photos as training data (train/photo_set.h): the held-out split, grey photos left out, each epoch's crops drawn
// from the run's seed alone and cut from the photo they say, at the working scale; and on the shared ImageNet sample,
// the grey photos found are exactly the 26 its README lists.
#include "tint/train/photo_set.h"

#include <fstream>
#include <set>
#include <string>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"

namespace tint::train {
namespace {
namespace fs = std::filesystem;

// Photo k: every pixel (10 k, 255 - 10 k, 100); odd k are 96 x 64, even k 64 x 80.
torch::Tensor flat_photo(int k) {
  const int64_t h = k % 2 ? 64 : 80, w = k % 2 ? 96 : 64;
  auto p = torch::empty({3, h, w}, torch::kUInt8);
  p[0].fill_(10 * k);
  p[1].fill_(255 - 10 * k);
  p[2].fill_(100);
  return p;
}

TEST(PhotoSet, HoldsOutEveryTenthColourPhotoAndLeavesOutGreyOnes) {
  test::TempDir dir;
  for (int k = 0; k < 20; ++k)
    data::write_png(dir.path() / fmt::format("p{:02}.png", k), flat_photo(k).to(torch::kFloat32) / 255.0);
  data::write_png(dir.path() / "grey.png", torch::full({3, 16, 16}, 0.5));
  std::ofstream(dir.path() / "notes.txt") << "not a photo";
  const auto set = read_photo_set(dir.path(), 0.1);
  ASSERT_EQ(set.grey_files.size(), 1u);
  EXPECT_EQ(set.grey_files[0].filename(), "grey.png");
  ASSERT_EQ(set.val_files.size(), 2u);  // photos 9 and 19: floor((i + 1) / 10) steps up there
  EXPECT_EQ(set.val_files[0].filename(), "p09.png");
  EXPECT_EQ(set.val_files[1].filename(), "p19.png");
  EXPECT_EQ(set.train.size(), 18u);
  EXPECT_TRUE(torch::equal(set.train[0], flat_photo(0)));
  EXPECT_THROW(read_photo_set(dir.path() / "nowhere", 0.1), Error);
  EXPECT_THROW(read_photo_set(dir.path(), 0.01), Error);  // 20 photos: none would be held out
}

TEST(PhotoSet, EachCropComesFromItsPhotoAndAnEpochIsItsSeedsAlone) {
  std::vector<torch::Tensor> photos;
  for (int k = 0; k < 5; ++k) photos.push_back(flat_photo(k));
  PhotoCropSettings s;
  s.crop = 16;
  s.photo_side = 32;
  s.crops_per_photo = 3;
  const auto crops = epoch_crops(photos, s, 7, 0);
  ASSERT_EQ(crops.sizes(), (std::vector<int64_t>{15, 3, 16, 16}));
  for (int64_t i = 0; i < 15; ++i) {
    const int k = static_cast<int>(i / 3);
    EXPECT_EQ(crops[i][0].min().item<int>(), 10 * k) << i;  // flat photos: the crop is the photo's one colour
    EXPECT_EQ(crops[i][0].max().item<int>(), 10 * k) << i;
    EXPECT_EQ(crops[i][1].max().item<int>(), 255 - 10 * k) << i;
  }
  EXPECT_TRUE(torch::equal(crops, epoch_crops(photos, s, 7, 0)));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  EXPECT_TRUE(torch::equal(crops, epoch_crops(photos, s, 7, 0)));  // the same on any number of threads
  at::set_num_threads(threads);
}

TEST(PhotoSet, CropsSeeThePhotoAtTheWorkingScale) {
  // A 128 x 192 photo whose red is its column (0..191), shrunk to shorter side 32 (jitter 1): a quarter, so each crop
  // pixel is the mean of 4 columns, and neighbours differ by 4 levels (-4 when mirrored) wherever the crop was cut.
  auto photo = torch::zeros({3, 128, 192}, torch::kUInt8);
  photo[0].copy_(torch::arange(192, torch::kInt32).to(torch::kUInt8).expand({128, 192}));
  PhotoCropSettings s;
  s.crop = 16;
  s.photo_side = 32;
  s.crops_per_photo = 12;
  s.scale_jitter = 1.0;
  const auto crops = epoch_crops({photo}, s, 3, 5);
  std::set<int> firsts;
  int mirrored = 0;
  for (int64_t i = 0; i < 12; ++i) {
    const auto row = crops[i][0][0].to(torch::kInt32);
    const auto diffs = row.slice(0, 1) - row.slice(0, 0, 15);
    const bool flipped = diffs.sum().item<int>() < 0;
    mirrored += flipped;
    const auto steps = flipped ? -diffs : diffs;
    EXPECT_GE(steps.min().item<int>(), 3) << i;  // 4, give or take the rounding of each mean
    EXPECT_LE(steps.max().item<int>(), 5) << i;
    EXPECT_NEAR(steps.to(torch::kFloat32).mean().item<float>(), 4.f, 0.1f) << i;
    firsts.insert(row[flipped ? 15 : 0].item<int>());
  }
  EXPECT_GT(firsts.size(), 6u);  // different positions were drawn
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, 12);
  const auto val = centre_crops({photo}, 32);
  ASSERT_EQ(val.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  // The centre 128 x 128 of the 192 columns (32..159), shrunk 4 times: column x is the mean of 32 + 4x .. 35 + 4x.
  for (int64_t x = 0; x < 32; ++x) EXPECT_NEAR(val[0][0][0][x].item<int>(), 33.5 + 4 * x, 0.5) << x;
}

TEST(PhotoSet, TheGreyPhotosOfTheImageNetSampleAreTheListedOnes) {
  TINT_SKIP_WITHOUT_PHOTO_DATA(photos, "imagenet-sample", "greyscale-in-imagenet-sample.txt");
  std::set<std::string> listed;
  std::ifstream in(photos / "greyscale-in-imagenet-sample.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) listed.insert(line);
  }
  const auto set = read_photo_set(photos / "imagenet-sample", 0.1);
  std::set<std::string> found;
  for (const auto& f : set.grey_files) found.insert(f.filename().string());
  EXPECT_EQ(found, listed);
  EXPECT_EQ(set.train.size() + set.val.size(), 1000u - listed.size());
}

}  // namespace
}  // namespace tint::train
