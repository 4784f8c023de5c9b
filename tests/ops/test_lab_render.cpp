// The fused Lab recombination (ops/lab_render.h) against a scalar float64 transcription of data/lab.h's definitions
// written out here (std::pow, the matrix inverted by torch in double, bilinear taps by hand): random images and
// chroma far outside the gamut, guided and bilinear, odd sizes (a row of one pixel, a width that is not a whole vector),
// black, white, every grey level, saturated primaries; the selected CPU variant's kernel doing the work
// (tests/CMakeLists.txt runs this binary under each variant).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <vector>

#include "fused_checks.h"
#include "tint/data/lab.h"
#include "tint/ops/lab_render.h"

namespace tint::ops {
namespace {

using test::selected_variant_ran;
using test::take_kernels_run;

// The header's promise: within 1e-5 of float64 in sRGB on [0, 1]. The measured worst case over these tests is
// printed by the random test.
constexpr double kFloatTolerance = 1e-5;

// data/lab.h's definitions in float64, one pixel at a time.
struct Reference {
  double to_xyz[3][3] = {
      {0.4124564, 0.3575761, 0.1804375}, {0.2126729, 0.7151522, 0.0721750}, {0.0193339, 0.1191920, 0.9503041}};
  double white[3] = {0.95047, 1.0, 1.08883};
  double to_rgb[3][3];
  Reference() {
    auto inv = torch::linalg_inv(torch::from_blob(&to_xyz[0][0], {3, 3}, torch::kFloat64).clone());
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) to_rgb[r][c] = inv[r][c].item<double>();
  }
  static double linear(double s) { return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4); }
  static double compand(double v) { return v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055; }
  static double f(double t) { return t > 216.0 / 24389.0 ? std::cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0; }
  static double f_inverse(double v) { return v > 6.0 / 29.0 ? v * v * v : (116.0 * v - 16.0) / (24389.0 / 27.0); }
  // The L of sRGB bytes (r, g, b).
  double lightness(int r, int g, int b) const {
    const double y =
        to_xyz[1][0] * linear(r / 255.0) + to_xyz[1][1] * linear(g / 255.0) + to_xyz[1][2] * linear(b / 255.0);
    return 116.0 * f(y / white[1]) - 16.0;
  }
  // Lab -> sRGB in [0, 1], clipped per channel in linear RGB.
  void srgb(double l, double a, double b, double out[3]) const {
    const double fy = (l + 16.0) / 116.0;
    const double xyz[3] = {white[0] * f_inverse(fy + a / 500.0), white[1] * f_inverse(fy),
                           white[2] * f_inverse(fy - b / 200.0)};
    for (int c = 0; c < 3; ++c) {
      const double v = to_rgb[c][0] * xyz[0] + to_rgb[c][1] * xyz[1] + to_rgb[c][2] * xyz[2];
      out[c] = compand(std::clamp(v, 0.0, 1.0));
    }
  }
};

// Bilinear taps, align_corners = false: source = max(0, (j + 0.5) in / out - 0.5).
struct Tap {
  int64_t first, second;
  double weight;
};
Tap tap(int64_t j, int64_t in, int64_t out) {
  const double source = std::max(0.0, (j + 0.5) * double(in) / double(out) - 0.5);
  const int64_t first = std::min<int64_t>(in - 1, int64_t(std::floor(source)));
  return {first, std::min<int64_t>(in - 1, first + 1), std::min(1.0, source - double(first))};
}
double upsampled(const torch::Tensor& plane, int64_t y, int64_t x, int64_t H, int64_t W) {  // plane (h, w) double
  const auto p = plane.accessor<double, 2>();
  const Tap ty = tap(y, plane.size(0), H), tx = tap(x, plane.size(1), W);
  return (1 - ty.weight) * ((1 - tx.weight) * p[ty.first][tx.first] + tx.weight * p[ty.first][tx.second]) +
         ty.weight * ((1 - tx.weight) * p[ty.second][tx.first] + tx.weight * p[ty.second][tx.second]);
}

// The whole image by the reference: (3, H, W) double in [0, 1].
torch::Tensor reference_render(const torch::Tensor& image, const WorkingChroma& chroma) {
  static const Reference ref;
  const int64_t C = image.size(0), H = image.size(1), W = image.size(2);
  const auto pixels = image.contiguous();
  const auto px = pixels.accessor<uint8_t, 3>();
  const auto a = chroma.a.to(torch::kFloat64).contiguous();
  const auto b = chroma.b.defined() ? chroma.b.to(torch::kFloat64).contiguous() : torch::Tensor();
  auto out = torch::empty({3, H, W}, torch::kFloat64);
  auto o = out.accessor<double, 3>();
  for (int64_t y = 0; y < H; ++y) {
    for (int64_t x = 0; x < W; ++x) {
      const int r = px[0][y][x], g = px[C == 1 ? 0 : 1][y][x], bl = px[C == 1 ? 0 : 2][y][x];
      double ab[2];
      for (int c = 0; c < 2; ++c) {
        ab[c] = upsampled(a[c], y, x, H, W);
        if (b.defined()) {  // guided: A g + B on the network input's grey scale (mean byte / 256), clamped
          const double grey = (r + g + bl) / 3.0 / 256.0;
          ab[c] = std::clamp(ab[c] * grey + upsampled(b[c], y, x, H, W), double(chroma.lo[c]), double(chroma.hi[c]));
        }
      }
      double rgb[3];
      ref.srgb(ref.lightness(r, g, bl), ab[0], ab[1], rgb);
      for (int c = 0; c < 3; ++c) o[c][y][x] = rgb[c];
    }
  }
  return out;
}

torch::Tensor render(const torch::Tensor& image, const WorkingChroma& chroma, torch::ScalarType type) {
  auto out = torch::empty({3, image.size(1), image.size(2)}, type);
  take_kernels_run();
  render_lab(image, chroma, out);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  return out;
}

// Both outputs against the reference: float within kFloatTolerance; bytes round(255 v) of it, or one level off
// where 255 v is within 255 kFloatTolerance of a half. Returns the float's largest difference.
double check(const torch::Tensor& image, const WorkingChroma& chroma) {
  const auto expected = reference_render(image, chroma);
  const auto floats = render(image, chroma, torch::kFloat);
  const double worst = (floats.to(torch::kFloat64) - expected).abs().max().item<double>();
  EXPECT_LE(worst, kFloatTolerance);
  const auto bytes = render(image, chroma, torch::kUInt8).to(torch::kFloat64);
  const auto scaled = expected * 255.0;
  const auto off = (bytes - scaled.round()).abs();
  EXPECT_LE(off.max().item<double>(), 1.0);
  // Off by one only next to a half.
  const auto near_half = ((scaled - scaled.floor()) - 0.5).abs() <= 255.0 * kFloatTolerance;
  EXPECT_EQ(off.gt(0).logical_and(near_half.logical_not()).sum().item<int64_t>(), 0);
  return worst;
}

WorkingChroma bilinear(const torch::Tensor& ab) { return {ab, torch::Tensor()}; }

TEST(LabRender, RandomImagesAndChromaMatchFloat64) {
  torch::manual_seed(7);
  double worst = 0;
  for (auto [C, H, W, h, w] : std::vector<std::array<int64_t, 5>>{{3, 37, 53, 5, 7},
                                                                  {1, 40, 33, 6, 4},
                                                                  {3, 1, 1, 1, 1},
                                                                  {3, 1, 17, 2, 3},
                                                                  {3, 19, 1, 4, 1},
                                                                  {3, 9, 31, 9, 31}}) {
    SCOPED_TRACE(std::to_string(C) + "x" + std::to_string(H) + "x" + std::to_string(W) + " from " + std::to_string(h) +
                 "x" + std::to_string(w));
    const auto image = torch::randint(0, 256, {C, H, W}, torch::kUInt8);
    // Far outside the gamut too: sRGB's ab lie within about [-87, 99] x [-108, 95].
    const auto ab = torch::rand({2, h, w}) * 240.0f - 120.0f;
    worst = std::max(worst, check(image, bilinear(ab)));
    WorkingChroma guided{
        torch::randn({2, h, w}) * 80.0f, torch::rand({2, h, w}) * 160.0f - 80.0f, {-60.0f, -90.0f}, {70.0f, 50.0f}};
    worst = std::max(worst, check(image, guided));
  }
  std::cout << "largest |fused - float64| in sRGB [0, 1]: " << worst << "\n";
}

TEST(LabRender, AtTheImagesOwnSizeTheChromaIsTakenAsItIs) {
  torch::manual_seed(8);
  const auto image = torch::randint(0, 256, {3, 6, 21}, torch::kUInt8);
  const auto ab = torch::rand({2, 6, 21}) * 100.0f - 50.0f;
  const auto out = render(image, bilinear(ab), torch::kFloat).to(torch::kFloat64);
  // Against LibTorch's float64 pipeline, which has no upsampling to do: data::recombine of the image's own L.
  const auto l = data::rgb_to_lab(image.unsqueeze(0)).slice(1, 0, 1);
  const auto expected = data::recombine(l.to(torch::kFloat64), ab.unsqueeze(0).to(torch::kFloat64))[0];
  EXPECT_LE((out - expected).abs().max().item<double>(), kFloatTolerance);
}

TEST(LabRender, NoChromaGivesEveryGreyBackExactly) {
  // L kept and a = b = 0 is the grey itself: each of the 256 levels comes back as it went in, grey or RGB input.
  auto levels = torch::arange(256, torch::kInt32).to(torch::kUInt8).view({1, 8, 32});
  const auto zero = torch::zeros({2, 3, 5});
  for (const auto& image : {levels, levels.expand({3, 8, 32}).contiguous()}) {
    const auto out = render(image, bilinear(zero), torch::kUInt8);
    EXPECT_TRUE(out.equal(levels.expand({3, 8, 32}))) << (out.to(torch::kInt32) - levels.to(torch::kInt32)).abs().max();
    const auto floats = render(image, bilinear(zero), torch::kFloat);
    EXPECT_LE((floats - levels.to(torch::kFloat) / 255.0f).abs().max().item<float>(), kFloatTolerance);
  }
  // Black and white under any chroma (far out of gamut at L = 100; at L = 0 CIELAB's linear segment near black still
  // gives a little colour).
  const auto black = torch::zeros({3, 4, 20}, torch::kUInt8);
  EXPECT_TRUE(render(black, bilinear(zero), torch::kUInt8).equal(black));
  const auto white = torch::full({3, 4, 20}, 255, torch::kUInt8);
  check(white, bilinear(torch::rand({2, 2, 3}) * 200.0f - 100.0f));
  check(black, bilinear(torch::rand({2, 2, 3}) * 200.0f - 100.0f));
}

TEST(LabRender, SaturatedColoursComeBackFromTheirOwnAb) {
  // The primaries, secondaries and a few dark and light colours, each given its own ab: the colour itself returns.
  const std::vector<std::array<int, 3>> colours{{255, 0, 0},     {0, 255, 0},   {0, 0, 255},     {255, 255, 0},
                                                {0, 255, 255},   {255, 0, 255}, {1, 0, 0},       {0, 0, 3},
                                                {254, 255, 250}, {12, 200, 7},  {128, 128, 129}, {70, 20, 240}};
  const int64_t n = int64_t(colours.size());
  auto image = torch::empty({3, 1, n}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) image[c][0][i] = colours[size_t(i)][size_t(c)];
  const auto lab = data::rgb_to_lab(image.to(torch::kFloat64) / 255.0);  // (3, 1, n) float64
  const auto out = render(image, bilinear(lab.slice(0, 1, 3).to(torch::kFloat)), torch::kUInt8);
  EXPECT_TRUE(out.equal(image)) << out << image;
  check(image, bilinear(lab.slice(0, 1, 3).to(torch::kFloat)));
}

TEST(LabRender, ThreadsAndRowsDoNotChangeTheResult) {
  torch::manual_seed(9);
  const auto image = torch::randint(0, 256, {3, 67, 45}, torch::kUInt8);
  const WorkingChroma guided{torch::randn({2, 8, 6}) * 50.0f, torch::randn({2, 8, 6}) * 30.0f, {-40, -40}, {40, 40}};
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = render(image, guided, torch::kFloat);
  at::set_num_threads(std::max(2, threads));
  const auto several = render(image, guided, torch::kFloat);
  at::set_num_threads(threads);
  EXPECT_TRUE(one.equal(several));
  // A row computed alone is the same row: the first row's taps do not depend on the rows around it.
  const auto top = image.slice(1, 0, 1);
  const auto alone =
      render(top, WorkingChroma{guided.a.slice(1, 0, 1), guided.b.slice(1, 0, 1), {-40, -40}, {40, 40}}, torch::kFloat);
  EXPECT_TRUE(alone.equal(one.slice(1, 0, 1))) << "row 0 of a one-row image reads working row 0 only";
}

TEST(LabRender, NanChromaGivesBlackNotUndefinedBytes) {
  const auto image = torch::full({3, 2, 18}, 128, torch::kUInt8);
  const auto ab = torch::full({2, 1, 1}, std::nanf(""));
  EXPECT_TRUE(render(image, bilinear(ab), torch::kUInt8).eq(0).all().item<bool>());
}

TEST(LabRender, RefusesWhatItCannotRender) {
  const auto image = torch::zeros({3, 4, 4}, torch::kUInt8);
  auto out = torch::empty({3, 4, 4}, torch::kUInt8);
  EXPECT_THROW(render_lab(image.to(torch::kFloat), bilinear(torch::zeros({2, 2, 2})), out), c10::Error);
  EXPECT_THROW(render_lab(image, bilinear(torch::zeros({3, 2, 2})), out), c10::Error);
  auto wrong = torch::empty({3, 4, 5}, torch::kUInt8);
  EXPECT_THROW(render_lab(image, bilinear(torch::zeros({2, 2, 2})), wrong), c10::Error);
}

}  // namespace
}  // namespace tint::ops
