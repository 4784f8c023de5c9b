// The detector's input: stretch and letterbox placement, and boxes mapped back onto the photo.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tint/detect/network_input.h"

namespace tint::detect {
namespace {

TEST(NetworkInput, StretchScalesEachSideOnItsOwn) {
  const auto image = torch::full({3, 100, 200}, 51, torch::kUInt8);
  const auto in = network_input(image, 32, 32, ResizeMode::stretch);
  ASSERT_EQ(in.pixels.sizes(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_NEAR(in.pixels.min().item<float>(), 0.2f, 1e-6);  // a flat image stays flat: 51 / 255
  EXPECT_NEAR(in.pixels.max().item<float>(), 0.2f, 1e-6);
  const auto box = to_image({8, 16, 16, 32}, in.placement);
  EXPECT_FLOAT_EQ(box.x1, 50);
  EXPECT_FLOAT_EQ(box.y1, 50);
  EXPECT_FLOAT_EQ(box.x2, 100);
  EXPECT_FLOAT_EQ(box.y2, 100);
}

TEST(NetworkInput, LetterboxKeepsTheAspectAndPadsWithGrey) {
  auto image = torch::zeros({3, 100, 200}, torch::kUInt8);
  const auto in = network_input(image, 64, 64, ResizeMode::letterbox);
  // 200x100 -> 64x32, centred: rows 16..47 are the image (black), the rest grey 0.5.
  EXPECT_FLOAT_EQ(in.pixels[0][0][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(in.pixels[0][15][10].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(in.pixels[0][16][10].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(in.pixels[0][47][10].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(in.pixels[0][48][10].item<float>(), 0.5f);
  // The image's corners land on the image region's corners.
  const auto whole = to_image({0, 16, 64, 48}, in.placement);
  EXPECT_FLOAT_EQ(whole.x1, 0);
  EXPECT_FLOAT_EQ(whole.y1, 0);
  EXPECT_FLOAT_EQ(whole.x2, 200);
  EXPECT_FLOAT_EQ(whole.y2, 100);
  // Boxes reaching into the padding are clipped to the image.
  const auto clipped = to_image({-5, 0, 70, 64}, in.placement);
  EXPECT_FLOAT_EQ(clipped.x1, 0);
  EXPECT_FLOAT_EQ(clipped.y1, 0);
  EXPECT_FLOAT_EQ(clipped.x2, 200);
  EXPECT_FLOAT_EQ(clipped.y2, 100);
}

TEST(NetworkInput, ShrinkingAveragesInsteadOfAliasing) {
  // A one-pixel checkerboard shrunk 8x: antialiased, every pixel is the mean grey; plain bilinear would pick
  // samples and show stripes.
  const auto rows = torch::arange(256).view({256, 1}), cols = torch::arange(256).view({1, 256});
  const auto board = ((rows + cols) % 2 * 255).to(torch::kUInt8).unsqueeze(0).expand({3, -1, -1}).contiguous();
  const auto in = network_input(board, 32, 32, ResizeMode::stretch);
  EXPECT_NEAR(in.pixels.mean().item<float>(), 0.5f, 1e-3);
  EXPECT_LT((in.pixels - 0.5f).abs().max().item<float>(), 0.05f);
}

TEST(NetworkInput, GreyImagesBecomeRgbAndBadInputIsRefused) {
  const auto grey = torch::full({1, 10, 10}, 255, torch::kUInt8);
  const auto in = network_input(grey, 8, 8, ResizeMode::stretch);
  EXPECT_EQ(in.pixels.size(0), 3);
  EXPECT_FLOAT_EQ(in.pixels.min().item<float>(), 1.0f);
  EXPECT_THROW(network_input(torch::zeros({2, 10, 10}, torch::kUInt8), 8, 8, ResizeMode::stretch), std::exception);
  EXPECT_THROW(network_input(torch::zeros({3, 10, 10}), 8, 8, ResizeMode::stretch), std::exception);
  EXPECT_THROW(parse_resize_mode("crop"), std::exception);
  EXPECT_EQ(parse_resize_mode("letterbox"), ResizeMode::letterbox);
}

}  // namespace
}  // namespace tint::detect
