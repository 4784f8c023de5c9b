// Image I/O: PNG round trips (grey and RGB), float input quantization, and clear errors for undecodable files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"

namespace tint::data {
namespace {

TEST(ImageIO, PngRoundTripRgbAndGrey) {
  test::TempDir tmp;
  torch::manual_seed(0);
  auto rgb = torch::randint(0, 256, {3, 17, 23}, torch::kUInt8);
  auto grey = torch::randint(0, 256, {1, 5, 4}, torch::kUInt8);
  write_png(tmp / "rgb.png", rgb);
  write_png(tmp / "grey.png", grey);
  EXPECT_TRUE(read_image(tmp / "rgb.png").equal(rgb));
  EXPECT_TRUE(read_image(tmp / "grey.png").equal(grey));
}

TEST(ImageIO, FloatImagesAreClampedAndRounded) {
  auto f = torch::tensor({-0.5f, 0.0f, 0.5f, 1.0f, 2.0f}).view({1, 1, 5});
  auto decoded = decode_image(encode_png(f), "mem");
  EXPECT_TRUE(decoded.flatten().equal(torch::tensor({0, 0, 128, 255, 255}, torch::kUInt8)));
}

TEST(ImageIO, RejectsGarbageAndEmptyFilesNamingThem) {
  test::TempDir tmp;
  test::write_bytes(tmp / "junk.png", "this is not an image");
  test::write_bytes(tmp / "empty.jpg", "");
  for (const char* name : {"junk.png", "empty.jpg", "missing.bmp"}) {
    try {
      read_image(tmp / name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tint::data
