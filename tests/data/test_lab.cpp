// sRGB <-> CIELAB: published reference values, hand-computed cases on both branches of each curve, round trips, a
// scalar per-pixel implementation written from Lindbloom's formulas, and OpenCV's cvtColor
// (tests/data/lab_reference.py; skips, saying why, without python3-opencv).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/lab.h"

namespace tint::data {
namespace lab_test {
namespace {
using test::reference_python;
using test::shell_quote;
namespace fs = std::filesystem;
using Triple = std::array<double, 3>;

// (P, 3) rows -> (1, 3, 1, P) image, and back.
torch::Tensor as_image(const torch::Tensor& rows) { return rows.t().reshape({1, 3, 1, -1}).contiguous(); }
torch::Tensor as_rows(const torch::Tensor& image) { return image.reshape({3, -1}).t().contiguous(); }

Triple lab_of(const Triple& rgb) {
  auto out = rgb_to_lab(as_image(torch::tensor({rgb[0], rgb[1], rgb[2]}, torch::kFloat64).view({1, 3})));
  auto o = out.flatten();
  return {o[0].item<double>(), o[1].item<double>(), o[2].item<double>()};
}

// ---- the scalar reference: Lindbloom's formulas, one colour at a time, in double --------------------------------
const double kM[3][3] = {
    {0.4124564, 0.3575761, 0.1804375}, {0.2126729, 0.7151522, 0.0721750}, {0.0193339, 0.1191920, 0.9503041}};
const double kWhite[3] = {0.95047, 1.0, 1.08883};
const double kEps = 216.0 / 24389.0, kKappa = 24389.0 / 27.0;

Triple scalar_rgb_to_lab(const Triple& rgb) {
  double lin[3], xyz[3] = {0, 0, 0}, f[3];
  for (int c = 0; c < 3; ++c) {
    lin[c] = rgb[c] <= 0.04045 ? rgb[c] / 12.92 : std::pow((rgb[c] + 0.055) / 1.055, 2.4);
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) xyz[r] += kM[r][c] * lin[c];
  for (int c = 0; c < 3; ++c) {
    const double t = xyz[c] / kWhite[c];
    f[c] = t > kEps ? std::cbrt(t) : (kKappa * t + 16.0) / 116.0;
  }
  return {116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])};
}

// Lab -> sRGB with Lindbloom's inverse (x_r, y_r, z_r by cases), the matrix inverted by Cramer's rule, and the
// per-channel clip to [0, 1].
Triple scalar_lab_to_rgb(const Triple& lab) {
  const double L = lab[0], fy = (L + 16.0) / 116.0, fx = fy + lab[1] / 500.0, fz = fy - lab[2] / 200.0;
  const double xr = fx * fx * fx > kEps ? fx * fx * fx : (116.0 * fx - 16.0) / kKappa;
  const double yr = L > kKappa * kEps ? fy * fy * fy : L / kKappa;
  const double zr = fz * fz * fz > kEps ? fz * fz * fz : (116.0 * fz - 16.0) / kKappa;
  const double xyz[3] = {xr * kWhite[0], yr * kWhite[1], zr * kWhite[2]};
  const auto& m = kM;
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  Triple rgb;
  for (int c = 0; c < 3; ++c) {
    double col[3][3];  // m with column c replaced by xyz
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < 3; ++k) col[r][k] = k == c ? xyz[r] : m[r][k];
    const double lin = (col[0][0] * (col[1][1] * col[2][2] - col[1][2] * col[2][1]) -
                        col[0][1] * (col[1][0] * col[2][2] - col[1][2] * col[2][0]) +
                        col[0][2] * (col[1][0] * col[2][1] - col[1][1] * col[2][0])) /
                       det;
    const double v = std::clamp(lin, 0.0, 1.0);
    rgb[c] = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
  }
  return rgb;
}

TEST(Lab, PublishedReferenceValues) {
  // Bruce Lindbloom's CIE Color Calculator (brucelindbloom.com; sRGB, reference white D65, no adaptation), and the
  // same values in most tables of the sRGB primaries in CIELAB.
  struct Case {
    const char* name;
    Triple rgb, lab;
  };
  const Case cases[] = {
      {"white", {1, 1, 1}, {100.0, 0.0, 0.0}},
      {"black", {0, 0, 0}, {0.0, 0.0, 0.0}},
      {"red", {1, 0, 0}, {53.2408, 80.0925, 67.2032}},
      {"green", {0, 1, 0}, {87.7347, -86.1827, 83.1793}},
      {"blue", {0, 0, 1}, {32.2970, 79.1875, -107.8602}},
      {"mid grey", {0.5, 0.5, 0.5}, {53.3890, 0.0, 0.0}},
  };
  for (const auto& c : cases) {
    const Triple lab = lab_of(c.rgb);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(lab[k], c.lab[k], 1e-3) << c.name << " channel " << k;
    auto back = lab_to_rgb(as_image(torch::tensor({c.lab[0], c.lab[1], c.lab[2]}, torch::kFloat64).view({1, 3})));
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(back.flatten()[k].item<double>(), c.rgb[k], 1e-4) << c.name << " back " << k;
  }
}

TEST(Lab, HandComputedCasesOnEachBranch) {
  // For a grey, Y = (the sum of the matrix's Y row, 1.0000001) x the linear value.
  const double y_row = 0.2126729 + 0.7151522 + 0.0721750;
  // Mid grey above the companding threshold: Y = ((0.5 + 0.055) / 1.055)^2.4, L = 116 cbrt(Y) - 16.
  const double y_mid = y_row * std::pow(0.555 / 1.055, 2.4);
  EXPECT_NEAR(lab_of({0.5, 0.5, 0.5})[0], 116.0 * std::cbrt(y_mid) - 16.0, 1e-10);
  // A dark grey on both linear branches: Y = 0.02 / 12.92 < epsilon, so L = kappa Y.
  EXPECT_NEAR(lab_of({0.02, 0.02, 0.02})[0], 24389.0 / 27.0 * y_row * 0.02 / 12.92, 1e-10);
  // The XYZ of pure red is the matrix's first column.
  auto xyz = rgb_to_xyz(torch::tensor({1.0, 0.0, 0.0}, torch::kFloat64).view({3, 1, 1})).flatten();
  EXPECT_NEAR(xyz[0].item<double>(), 0.4124564, 1e-12);
  EXPECT_NEAR(xyz[1].item<double>(), 0.2126729, 1e-12);
  EXPECT_NEAR(xyz[2].item<double>(), 0.0193339, 1e-12);
}

TEST(Lab, EqualsAScalarImplementationOfLindbloomsFormulas) {
  torch::manual_seed(3);
  // Random colours, half of them dark enough for the linear parts of the companding and of f.
  auto rgb = torch::cat({torch::rand({500, 3}), torch::rand({500, 3}) * 0.06}).to(torch::kFloat32);
  auto lab = as_rows(rgb_to_lab(as_image(rgb)));
  ASSERT_EQ(lab.scalar_type(), torch::kFloat32);
  auto rgb64 = rgb.to(torch::kFloat64), lab64 = lab.to(torch::kFloat64);
  auto r = rgb64.accessor<double, 2>();
  auto l = lab64.accessor<double, 2>();
  double worst = 0;
  for (int64_t i = 0; i < rgb.size(0); ++i) {
    const Triple want = scalar_rgb_to_lab({r[i][0], r[i][1], r[i][2]});
    for (int k = 0; k < 3; ++k) worst = std::max(worst, std::abs(l[i][k] - want[k]));
  }
  EXPECT_LT(worst, 1e-4);  // float32 output of values up to 100

  // Lab -> RGB on random Lab values, many outside the sRGB gamut (the clip) and some in f's linear part.
  auto lab_in =
      torch::stack({torch::rand({1000}) * 110 - 5, torch::rand({1000}) * 260 - 130, torch::rand({1000}) * 260 - 130}, 1)
          .to(torch::kFloat64);
  auto rgb_out = as_rows(lab_to_rgb(as_image(lab_in)));
  auto li = lab_in.accessor<double, 2>();
  auto ro = rgb_out.accessor<double, 2>();
  worst = 0;
  for (int64_t i = 0; i < lab_in.size(0); ++i) {
    const Triple want = scalar_lab_to_rgb({li[i][0], li[i][1], li[i][2]});
    for (int k = 0; k < 3; ++k) worst = std::max(worst, std::abs(ro[i][k] - want[k]));
  }
  EXPECT_LT(worst, 1e-9);
}

TEST(Lab, RoundTripsRandomColours) {
  torch::manual_seed(5);
  auto rgb = torch::rand({4, 3, 17, 19});
  rgb[0][0][0][0] = 0.0f;  // the ends of the range
  rgb[0][1][0][0] = 1.0f;
  auto back = lab_to_rgb(rgb_to_lab(rgb));
  ASSERT_EQ(back.sizes(), rgb.sizes());
  EXPECT_LT(test::max_error(back, rgb), 1e-4);
  EXPECT_LT(test::max_error(xyz_to_rgb(rgb_to_xyz(rgb)), rgb), 1e-5);
  auto xyz = rgb_to_xyz(rgb.to(torch::kFloat64));
  EXPECT_LT(test::max_error(lab_to_xyz(xyz_to_lab(xyz)), xyz), 1e-12);
  // In float64 the round trip is exact to rounding.
  EXPECT_LT(test::max_error(lab_to_rgb(rgb_to_lab(rgb.to(torch::kFloat64))), rgb), 1e-12);
}

TEST(Lab, AcceptsBytesSingleImagesAndKeepsFloat64) {
  auto bytes = torch::randint(0, 256, {2, 3, 5, 6}, torch::kUInt8);
  auto from_bytes = rgb_to_lab(bytes);
  EXPECT_EQ(from_bytes.scalar_type(), torch::kFloat32);
  EXPECT_LT(test::max_error(from_bytes, rgb_to_lab(bytes.to(torch::kFloat64) / 255.0)), 1e-4);
  auto single = rgb_to_lab(bytes[1]);
  ASSERT_EQ(single.sizes(), (std::vector<int64_t>{3, 5, 6}));
  EXPECT_TRUE(single.equal(from_bytes[1]));
  EXPECT_EQ(rgb_to_lab(bytes.to(torch::kFloat64) / 255.0).scalar_type(), torch::kFloat64);
}

TEST(Lab, ClipsOutOfGamutColoursPerChannel) {
  // Lab (50, 120, -120) is far outside sRGB; L 150 is brighter than white; L -10 darker than black.
  auto lab = torch::tensor({{50.0, 120.0, -120.0}, {150.0, 0.0, 0.0}, {-10.0, 0.0, 0.0}}, torch::kFloat64);
  auto rgb = as_rows(lab_to_rgb(as_image(lab)));
  EXPECT_GE(rgb.min().item<double>(), 0.0);
  EXPECT_LE(rgb.max().item<double>(), 1.0);
  // The clip is per channel: the unclamped conversion, clipped.
  auto unclamped = as_rows(xyz_to_rgb(lab_to_xyz(as_image(lab))));
  EXPECT_GT(unclamped.max().item<double>(), 1.0);
  EXPECT_LT(unclamped.min().item<double>(), 0.0);
  EXPECT_LT(test::max_error(rgb, unclamped.clamp(0.0, 1.0)), 1e-12);
  EXPECT_LT(test::max_error(rgb[1], torch::ones({3}, torch::kFloat64)), 1e-12);
  EXPECT_LT(test::max_error(rgb[2], torch::zeros({3}, torch::kFloat64)), 1e-12);
}

TEST(Lab, RecombineRestoresAnImageFromItsOwnLightnessAndChroma) {
  torch::manual_seed(8);
  auto rgb = torch::rand({3, 3, 8, 8});
  auto lab = rgb_to_lab(rgb);
  auto back = recombine(lab.slice(1, 0, 1), lab.slice(1, 1, 3));
  EXPECT_LT(test::max_error(back, rgb), 1e-4);
  // Zero chroma gives a grey of the image's lightness.
  auto grey = recombine(lab.slice(1, 0, 1), torch::zeros({3, 2, 8, 8}));
  EXPECT_LT(test::max_error(grey.select(1, 0), grey.select(1, 2)), 1e-5);
  EXPECT_LT(test::max_error(rgb_to_lab(grey).select(1, 0), lab.select(1, 0)), 1e-3);
}

// ---- OpenCV ---------------------------------------------------------------------------------------------------------

// cv2.cvtColor via tests/data/lab_reference.py: (RGB -> Lab of `rgb`, Lab -> RGB of `lab`), (P, 3) float32 each.
std::pair<torch::Tensor, torch::Tensor> opencv_convert(const torch::Tensor& rgb, const torch::Tensor& lab,
                                                       const test::TempDir& tmp) {
  auto write = [&](const std::string& name, const torch::Tensor& rows) {
    auto in = rows.to(torch::kFloat32).contiguous();
    write_file_atomic(tmp / name, std::string_view(static_cast<const char*>(in.data_ptr()), in.numel() * 4));
  };
  write("rgb.f32", rgb);
  write("lab.f32", lab);
  const std::string command = shell_quote(reference_python()) + " " +
                              shell_quote((test::source_dir() / "tests" / "data" / "lab_reference.py").string()) +
                              " --rgb " + shell_quote((tmp / "rgb.f32").string()) + " --lab " +
                              shell_quote((tmp / "lab.f32").string()) + " --output " +
                              shell_quote((tmp / "out.f32").string());
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command;
  if (status != 0) return {};
  const std::string bytes = read_file(tmp / "out.f32");
  const size_t expected = size_t(rgb.numel() + lab.numel()) * 4;
  EXPECT_EQ(bytes.size(), expected);
  if (bytes.size() != expected) return {};
  auto out = torch::empty({rgb.size(0) + lab.size(0), 3}, torch::kFloat32);
  std::memcpy(out.data_ptr(), bytes.data(), bytes.size());
  return {out.slice(0, 0, rgb.size(0)), out.slice(0, rgb.size(0))};
}

TEST(Lab, AgreesWithOpenCV) {
  TINT_SKIP_IF_MISSING(test::missing_python_cv2());
  test::TempDir tmp;
  torch::manual_seed(13);
  auto rgb = torch::rand({4000, 3});
  auto ours = as_rows(rgb_to_lab(as_image(rgb)));
  auto [theirs, back] = opencv_convert(rgb, ours, tmp);
  ASSERT_TRUE(theirs.defined() && back.defined());
  // OpenCV's float RGB -> Lab interpolates tables for the companding and the cube root (measured against an exact
  // numpy evaluation of the formulas: up to 0.55 in a or b over 20,000 random colours, 0.076 on average); its
  // Lab -> RGB is closer (3e-4). Bounds well below the size of a real mistake (a wrong white, matrix or curve moves
  // colours by whole units).
  auto diff = (ours - theirs).abs();
  EXPECT_LT(diff.max().item<float>(), 1.0f);
  EXPECT_LT(diff.mean().item<float>(), 0.15f);
  EXPECT_LT(test::max_error(back, rgb), 1e-3);
  EXPECT_LT(test::max_error(as_rows(lab_to_rgb(as_image(theirs))), rgb), 2e-2);
}

}  // namespace
}  // namespace lab_test
}  // namespace tint::data
