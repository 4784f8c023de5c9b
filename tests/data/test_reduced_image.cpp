// Reading a photo reduced (data/reduced_image.h): JPEGs decoded by libjpeg-turbo's DCT scaling at the smallest of
// 1/8, 1/4 and 1/2 that keeps the asked size upright; other formats whole.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/reduced_image.h"

namespace tint::data {
namespace {
namespace fs = std::filesystem;

fs::path image_fixture(const std::string& name) { return test::source_dir() / "tests" / "data" / "images" / name; }

// The mean absolute difference of two (C, H, W) images, in levels.
double mean_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().mean().item<double>();
}

// A smooth 1000 x 700 photo (gradients and a soft disc), saved as JPEG at quality 95.
fs::path smooth_jpeg(const fs::path& dir) {
  const auto y = torch::linspace(0, 1, 700).view({700, 1}), x = torch::linspace(0, 1, 1000).view({1, 1000});
  const auto disc = ((x - 0.4).pow(2) + (y - 0.5).pow(2)).mul(-20).exp();
  const auto rgb = torch::stack({x.expand({700, 1000}), y.expand({700, 1000}), disc}).clamp(0, 1);
  const fs::path path = dir / "smooth.jpg";
  WriteOptions o;
  o.jpeg_quality = 95;
  write_image(path, rgb, o);
  return path;
}

TEST(ReducedImage, JpegsDecodeAtTheSmallestDctScaleThatKeepsTheSize) {
  test::TempDir tmp;
  const auto path = smooth_jpeg(tmp.path());
  const auto full = read_image(path);
  // (asked width, height) -> scale; the size is libjpeg's ceil(side / scale).
  const std::vector<std::tuple<int, int, int>> cases = {{320, 320, 2}, {250, 175, 4}, {251, 100, 2}, {125, 88, 8},
                                                        {126, 10, 4},  {501, 10, 1},  {0, 0, 1},     {320, 0, 2}};
  for (const auto& [w, h, scale] : cases) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    const auto r = read_image_reduced(path, w, h);
    EXPECT_EQ(r.scale, scale);
    EXPECT_EQ(r.width, 1000);
    EXPECT_EQ(r.height, 700);
    ASSERT_EQ(r.pixels.sizes(), (std::vector<int64_t>{3, (700 + scale - 1) / scale, (1000 + scale - 1) / scale}));
    // Each reduced pixel is its scale x scale block of the photo, about (a smooth photo: within a level or two).
    const auto pooled = torch::avg_pool2d(full.to(torch::kFloat).unsqueeze(0), scale, scale, 0, true).squeeze(0);
    EXPECT_LT(mean_difference(r.pixels, pooled), 1.5);
  }
  EXPECT_TRUE(torch::equal(read_image_reduced(path, 0, 0).pixels, full));
  EXPECT_THROW(read_image_reduced(path, -1, 320), Error);
  EXPECT_THROW(read_image_reduced(tmp / "missing.jpg", 320, 320), Error);
}

// The asked size is the upright photo's: a photo stored turned (EXIF 5-8) swaps the sides before the scale is chosen.
TEST(ReducedImage, TheSizeIsTheUprightPhotos) {
  const auto upright = read_image(image_fixture("upright.png"));  // 24 x 16
  for (int o = 1; o <= 8; ++o) {
    SCOPED_TRACE(o);
    const auto r = read_image_reduced(image_fixture("orientation_" + std::to_string(o) + ".jpg"), 12, 8);
    EXPECT_EQ(r.scale, 2);
    EXPECT_EQ(r.width, 24);
    EXPECT_EQ(r.height, 16);
    ASSERT_EQ(r.pixels.sizes(), (std::vector<int64_t>{3, 8, 12}));
    const auto pooled = torch::avg_pool2d(upright.to(torch::kFloat).unsqueeze(0), 2).squeeze(0);
    EXPECT_LT(mean_difference(r.pixels, pooled), 8.0);
    EXPECT_EQ(read_image_reduced(image_fixture("orientation_" + std::to_string(o) + ".jpg"), 13, 8).scale, 1);
  }
}

TEST(ReducedImage, OtherFormatsDecodeWhole) {
  const auto r = read_image_reduced(image_fixture("upright.png"), 4, 4);
  EXPECT_EQ(r.scale, 1);
  EXPECT_EQ(r.width, 24);
  EXPECT_EQ(r.height, 16);
  EXPECT_TRUE(torch::equal(r.pixels, read_image(image_fixture("upright.png"))));
}

}  // namespace
}  // namespace tint::data
