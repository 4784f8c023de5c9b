// The detector's input: stretch and letterbox placement, darknet's and the antialiased resampling, and boxes mapped
// back onto the photo.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "tint/detect/darknet_resize.h"
#include "tint/detect/network_input.h"

namespace tint::detect {
namespace {

TEST(NetworkInput, StretchScalesEachSideOnItsOwn) {
  const auto image = torch::full({3, 100, 200}, 51, torch::kUInt8);
  const auto in = network_input(image, 32, 32, ResizeMode::stretch, Resample::darknet);
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
  const auto in = network_input(image, 64, 64, ResizeMode::letterbox, Resample::darknet);
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

TEST(NetworkInput, AntialiasAveragesWhereDarknetPicksSamples) {
  // A one-pixel checkerboard shrunk 8x: antialiased, every pixel is the mean grey; darknet's plain bilinear picks
  // two neighbours per pixel and keeps much of the pattern.
  const auto rows = torch::arange(256).view({256, 1}), cols = torch::arange(256).view({1, 256});
  const auto board = ((rows + cols) % 2 * 255).to(torch::kUInt8).unsqueeze(0).expand({3, -1, -1}).contiguous();
  const auto smooth = network_input(board, 32, 32, ResizeMode::stretch, Resample::antialias);
  EXPECT_NEAR(smooth.pixels.mean().item<float>(), 0.5f, 1e-3);
  EXPECT_LT((smooth.pixels - 0.5f).abs().max().item<float>(), 0.05f);
  const auto sampled = network_input(board, 32, 32, ResizeMode::stretch, Resample::darknet);
  EXPECT_GT((sampled.pixels - 0.5f).abs().max().item<float>(), 0.4f);
  EXPECT_EQ(to_string(Resample::darknet), "darknet");
  EXPECT_EQ(to_string(Resample::antialias), "antialias");
}

TEST(NetworkInput, GreyImagesBecomeRgbAndBadInputIsRefused) {
  const auto grey = torch::full({1, 10, 10}, 255, torch::kUInt8);
  const auto in = network_input(grey, 8, 8, ResizeMode::stretch, Resample::darknet);
  EXPECT_EQ(in.pixels.size(0), 3);
  EXPECT_FLOAT_EQ(in.pixels.min().item<float>(), 1.0f);
  EXPECT_THROW(network_input(torch::zeros({2, 10, 10}, torch::kUInt8), 8, 8, ResizeMode::stretch, Resample::darknet),
               std::exception);
  EXPECT_THROW(network_input(torch::zeros({3, 10, 10}), 8, 8, ResizeMode::stretch, Resample::darknet), std::exception);
  EXPECT_THROW(parse_resize_mode("crop"), std::exception);
  EXPECT_EQ(parse_resize_mode("letterbox"), ResizeMode::letterbox);
}

// A plain loop copy of darknet's resize_image (AlexeyAB/darknet, src/image.c) and of how it loads a photo (each
// byte / 255.), on darknet's (C, H, W) float planes.
struct DarknetImage {
  int w = 0, h = 0, c = 0;
  std::vector<float> data;
};

DarknetImage make_image(int w, int h, int c) { return {w, h, c, std::vector<float>(size_t(w) * h * c, 0.0f)}; }
float get_pixel(const DarknetImage& m, int x, int y, int c) { return m.data[size_t(c) * m.h * m.w + y * m.w + x]; }
void set_pixel(DarknetImage& m, int x, int y, int c, float val) { m.data[size_t(c) * m.h * m.w + y * m.w + x] = val; }
void add_pixel(DarknetImage& m, int x, int y, int c, float val) { m.data[size_t(c) * m.h * m.w + y * m.w + x] += val; }

DarknetImage resize_image(const DarknetImage& im, int w, int h) {
  DarknetImage resized = make_image(w, h, im.c);
  DarknetImage part = make_image(w, im.h, im.c);
  int r, c, k;
  float w_scale = (float)(im.w - 1) / (w - 1);
  float h_scale = (float)(im.h - 1) / (h - 1);
  for (k = 0; k < im.c; ++k) {
    for (r = 0; r < im.h; ++r) {
      for (c = 0; c < w; ++c) {
        float val = 0;
        if (c == w - 1 || im.w == 1) {
          val = get_pixel(im, im.w - 1, r, k);
        } else {
          float sx = c * w_scale;
          int ix = (int)sx;
          float dx = sx - ix;
          val = (1 - dx) * get_pixel(im, ix, r, k) + dx * get_pixel(im, ix + 1, r, k);
        }
        set_pixel(part, c, r, k, val);
      }
    }
  }
  for (k = 0; k < im.c; ++k) {
    for (r = 0; r < h; ++r) {
      float sy = r * h_scale;
      int iy = (int)sy;
      float dy = sy - iy;
      for (c = 0; c < w; ++c) {
        float val = (1 - dy) * get_pixel(part, c, iy, k);
        set_pixel(resized, c, r, k, val);
      }
      if (r == h - 1 || im.h == 1) continue;
      for (c = 0; c < w; ++c) {
        float val = dy * get_pixel(part, c, iy + 1, k);
        add_pixel(resized, c, r, k, val);
      }
    }
  }
  return resized;
}

DarknetImage darknet_loaded(const torch::Tensor& bytes) {
  const auto b = bytes.contiguous();
  DarknetImage im = make_image(int(b.size(2)), int(b.size(1)), int(b.size(0)));
  const uint8_t* p = b.data_ptr<uint8_t>();
  for (size_t i = 0; i < im.data.size(); ++i) im.data[i] = (float)p[i] / 255.;
  return im;
}

TEST(DarknetResize, EqualsALoopCopyOfDarknetsResizeImage) {
  torch::manual_seed(3);
  // (W, H) -> (w, h): the bus photo into Yolo-Fastest's 320 x 320, shrinking and enlarging on either side, odd
  // factors, and input sides of 1 (output sides of 1 are the kernel's own choice; darknet divides by zero there).
  const std::vector<std::array<int, 4>> cases = {{810, 1080, 320, 320}, {640, 480, 320, 320}, {17, 9, 40, 31},
                                                 {333, 101, 64, 200},   {1, 50, 7, 20},       {50, 1, 20, 7},
                                                 {5, 5, 5, 5},          {1000, 3, 321, 2}};
  for (const auto& [W, H, w, h] : cases) {
    for (int channels : {1, 3}) {
      const auto image = torch::randint(0, 256, {channels, H, W}, torch::kUInt8);
      const auto ours = darknet_resize(image, w, h);
      ASSERT_EQ(ours.sizes(), (std::vector<int64_t>{channels, h, w}));
      const auto theirs = resize_image(darknet_loaded(image), w, h);
      const auto expected = torch::from_blob(const_cast<float*>(theirs.data.data()), {channels, h, w}).clone();
      EXPECT_LE((ours - expected).abs().max().item<float>(), 1e-6f) << W << "x" << H << " -> " << w << "x" << h;
    }
  }
}

TEST(DarknetResize, SameResultOnAnyThreadCountAndAtTheEdges) {
  torch::manual_seed(4);
  const auto image = torch::randint(0, 256, {3, 1080, 810}, torch::kUInt8);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = darknet_resize(image, 320, 320);
  at::set_num_threads(2);
  const auto two = darknet_resize(image, 320, 320);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));
  // The corners are the photo's corner pixels (darknet's grid puts them there), / 255.
  const auto corners = image.index({torch::indexing::Slice(), torch::tensor({0, 1079}), torch::tensor({0, 809})});
  EXPECT_LE((one.index({torch::indexing::Slice(), torch::tensor({0, 319}), torch::tensor({0, 319})}) -
             corners.to(torch::kFloat) / 255)
                .abs()
                .max()
                .item<float>(),
            1e-6f);
  // An output side of 1 takes the first row and the last column; bad input is refused.
  const auto strip = darknet_resize(image, 1, 1);
  EXPECT_FLOAT_EQ(strip[1][0][0].item<float>(), image[1][0][809].item<float>() / 255.0f);
  EXPECT_THROW(darknet_resize(image.to(torch::kFloat), 8, 8), std::exception);
  EXPECT_THROW(darknet_resize(image, 0, 8), std::exception);
}

}  // namespace
}  // namespace tint::detect
