// Photo crops for training on photos (data/photo_crops.h): the window's own pixels when no resizing is needed,
// mirrored when asked, area averages against a brute-force mean of each source block, and which photos count as grey.
#include "tint/data/photo_crops.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {
namespace {

torch::Tensor random_photo(int64_t h, int64_t w, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {3, h, w}, torch::kUInt8);
}

TEST(PhotoCrops, AWindowAtItsOwnSizeIsThePhotosPixels) {
  const auto photo = random_photo(20, 30, 1);
  const auto crop = crop_resized(photo, {3, 7, 12, false}, 12);
  EXPECT_TRUE(torch::equal(crop, photo.slice(1, 3, 15).slice(2, 7, 19)));
  const auto mirrored = crop_resized(photo, {3, 7, 12, true}, 12);
  for (int64_t x = 0; x < 12; ++x) {
    EXPECT_TRUE(torch::equal(mirrored.select(2, x), photo.select(2, 7 + 11 - x).slice(1, 3, 15))) << x;
  }
}

TEST(PhotoCrops, ShrinkingAveragesEachBlockOfSourcePixels) {
  // A 12-pixel window shrunk to 4: each output pixel is the mean of a 3 x 3 block, rounded to the nearest level.
  const auto photo = random_photo(16, 16, 2);
  const auto crop = crop_resized(photo, {2, 1, 12, false}, 4);
  const auto p = photo.accessor<uint8_t, 3>();
  const auto c = crop.accessor<uint8_t, 3>();
  for (int ch = 0; ch < 3; ++ch)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) {
        double sum = 0;
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx) sum += p[ch][2 + 3 * y + dy][1 + 3 * x + dx];
        EXPECT_NEAR(c[ch][y][x], sum / 9.0, 0.5 + 1e-4) << ch << " " << y << " " << x;
      }
}

TEST(PhotoCrops, EnlargingKeepsAFlatColourFlat) {
  auto photo = torch::empty({3, 8, 8}, torch::kUInt8);
  photo[0].fill_(200);
  photo[1].fill_(40);
  photo[2].fill_(7);
  const auto crop = crop_resized(photo, {0, 0, 8, false}, 20);
  ASSERT_EQ(crop.sizes(), (std::vector<int64_t>{3, 20, 20}));
  EXPECT_EQ(crop[0].min().item<int>(), 200);
  EXPECT_EQ(crop[1].max().item<int>(), 40);
  EXPECT_EQ(crop[2].max().item<int>(), 7);
}

TEST(PhotoCrops, AWindowOutsideThePhotoIsRefused) {
  const auto photo = random_photo(10, 10, 3);
  EXPECT_THROW(crop_resized(photo, {5, 0, 6, false}, 4), Error);
  EXPECT_THROW(crop_resized(photo, {0, -1, 4, false}, 4), Error);
  EXPECT_THROW(crop_resized(photo, {0, 0, 0, false}, 4), Error);
}

TEST(GreyPhoto, EqualChannelsOrOneChannelAreGreyAColourPatchIsNot) {
  auto grey = torch::randint(0, 255, {1, 30, 30}, torch::kUInt8);  // below 255: room for one more level
  EXPECT_TRUE(is_grey_photo(grey));
  auto rgb = grey.expand({3, 30, 30}).clone();
  EXPECT_TRUE(is_grey_photo(rgb));
  // JPEG rounding: a level of difference on a third of the pixels is still grey (mean spread 1/3).
  rgb[0].slice(0, 0, 10).add_(1);
  EXPECT_TRUE(is_grey_photo(rgb));
  // A red patch over 5 % of the photo, 60 levels apart: mean spread 3, a colour photo.
  rgb[0].slice(0, 20, 25).slice(1, 0, 9).fill_(250);
  rgb[1].slice(0, 20, 25).slice(1, 0, 9).fill_(190);
  rgb[2].slice(0, 20, 25).slice(1, 0, 9).fill_(190);
  EXPECT_FALSE(is_grey_photo(rgb));
}

}  // namespace
}  // namespace tint::data
