// Detection augmentation: the boxes move with the pixels, colours convert as the HSV formulas say, and the same
// generator seed gives the same image.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tint/detect/augment.h"

namespace tint::detect {
namespace {

TEST(Hsv, KnownColoursAndRoundTrip) {
  // (r, g, b) -> (h in turns, s, v), from the definitions: pure red, yellow, cyan, a dark purple, grey.
  const std::vector<std::array<float, 6>> cases = {{1, 0, 0, 0, 1, 1},
                                                   {1, 1, 0, 1.0f / 6, 1, 1},
                                                   {0, 1, 1, 0.5f, 1, 1},
                                                   {0.4f, 0.2f, 0.6f, 0.75f, 2.0f / 3, 0.6f},
                                                   {0.5f, 0.5f, 0.5f, 0, 0, 0.5f}};
  for (const auto& c : cases) {
    const auto rgb = torch::tensor({c[0], c[1], c[2]}).view({3, 1, 1});
    const auto hsv = rgb_to_hsv(rgb);
    EXPECT_NEAR(hsv[0].item<float>(), c[3], 1e-6);
    EXPECT_NEAR(hsv[1].item<float>(), c[4], 1e-6);
    EXPECT_NEAR(hsv[2].item<float>(), c[5], 1e-6);
    EXPECT_LT((hsv_to_rgb(hsv) - rgb).abs().max().item<float>(), 1e-6);
  }
  torch::manual_seed(3);
  const auto random = torch::rand({3, 16, 16});
  EXPECT_LT((hsv_to_rgb(rgb_to_hsv(random)) - random).abs().max().item<float>(), 1e-5);
}

// A white rectangle on black: wherever augmentation moves it, the returned box must enclose exactly the bright
// pixels (to a pixel of interpolation).
TEST(Augment, BoxesFollowThePixels) {
  const int64_t side = 64;
  AugmentOptions o;
  o.hue = o.saturation = o.value = 0;  // colours unchanged: the rectangle stays white
  o.scale = 0.4f;
  o.translate = 0.2f;
  for (int seed = 0; seed < 40; ++seed) {
    auto image = torch::zeros({3, side, side});
    image.narrow(1, 20, 16).narrow(2, 12, 24).fill_(1);  // x 12..36, y 20..36
    const std::vector<data::LabelledBox> boxes = {{{12, 20, 36, 36}, 3, false}};
    auto gen = at::detail::createCPUGenerator(seed);
    const auto a = augment(image, boxes, o, gen);
    ASSERT_EQ(a.pixels.sizes(), image.sizes());
    const auto bright = (a.pixels[0] > 0.75f).nonzero();
    if (a.boxes.empty()) {
      // Dropped: little or nothing of it is left on the image.
      EXPECT_LT(bright.size(0), 0.25 * 24 * 16 * 1.4 * 1.4 + 1) << "seed " << seed;
      continue;
    }
    ASSERT_EQ(a.boxes.size(), 1u);
    EXPECT_EQ(a.boxes[0].class_id, 3);
    ASSERT_GT(bright.size(0), 0) << "seed " << seed;
    const auto ys = bright.select(1, 0).to(torch::kFloat), xs = bright.select(1, 1).to(torch::kFloat);
    const auto& b = a.boxes[0].box;
    EXPECT_NEAR(xs.min().item<float>(), b.x1, 1.01) << "seed " << seed;
    EXPECT_NEAR(xs.max().item<float>() + 1, b.x2, 1.01) << "seed " << seed;
    EXPECT_NEAR(ys.min().item<float>(), b.y1, 1.01) << "seed " << seed;
    EXPECT_NEAR(ys.max().item<float>() + 1, b.y2, 1.01) << "seed " << seed;
  }
}

TEST(Augment, SameSeedSameResultAndFlipMirrors) {
  torch::manual_seed(0);
  const auto image = torch::rand({3, 32, 48});
  const std::vector<data::LabelledBox> boxes = {{{4, 4, 20, 30}, 0, false}};
  AugmentOptions o;
  auto g1 = at::detail::createCPUGenerator(11), g2 = at::detail::createCPUGenerator(11);
  const auto a = augment(image, boxes, o, g1), b = augment(image, boxes, o, g2);
  EXPECT_TRUE(torch::equal(a.pixels, b.pixels));
  ASSERT_EQ(a.boxes.size(), b.boxes.size());
  // Only a flip: the image mirrored exactly, the box too.
  AugmentOptions flip_only;
  flip_only.flip = 1;
  flip_only.scale = flip_only.translate = flip_only.hue = flip_only.saturation = flip_only.value = 0;
  auto g3 = at::detail::createCPUGenerator(5);
  const auto f = augment(image, boxes, flip_only, g3);
  EXPECT_LT((f.pixels - image.flip({2})).abs().max().item<float>(), 1e-5);
  ASSERT_EQ(f.boxes.size(), 1u);
  EXPECT_NEAR(f.boxes[0].box.x1, 48 - 20, 1e-4);
  EXPECT_NEAR(f.boxes[0].box.x2, 48 - 4, 1e-4);
  EXPECT_NEAR(f.boxes[0].box.y1, 4, 1e-4);
}

}  // namespace
}  // namespace tint::detect
