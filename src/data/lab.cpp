#include "tint/data/lab.h"

#include <functional>

#include <torch/torch.h>

namespace tint::data {

namespace {

// Linear sRGB -> XYZ for D65 (Lindbloom's sRGB matrix, 7 decimals); its rows sum to the white point below, so
// RGB (1, 1, 1) is Lab (100, 0, 0). The inverse is computed from it in float64, so a round trip is exact to
// rounding rather than to the 7 printed decimals.
const double kRgbToXyz[3][3] = {
    {0.4124564, 0.3575761, 0.1804375}, {0.2126729, 0.7151522, 0.0721750}, {0.0193339, 0.1191920, 0.9503041}};
const double kWhite[3] = {0.95047, 1.0, 1.08883};
constexpr double kEpsilon = 216.0 / 24389.0;  // (6/29)^3
constexpr double kKappa = 24389.0 / 27.0;
constexpr double kFThreshold = 6.0 / 29.0;          // cbrt(epsilon): where f's cube root meets its linear part
constexpr int64_t kBlockValues = int64_t{3} << 20;  // float64 values per block: ~25 MB per temporary

const torch::Tensor& xyz_to_rgb_matrix() {
  static const torch::Tensor m =
      torch::linalg_inv(torch::from_blob(const_cast<double*>(&kRgbToXyz[0][0]), {3, 3}, torch::kFloat64).clone());
  return m;
}

// m (3 x 3) times the colour of every pixel of x (n, 3, P), as three weighted sums of planes (measured about twice
// as fast as a batched matmul broadcasting m over the images).
torch::Tensor mix(const double (&m)[3][3], const torch::Tensor& x) {
  auto c0 = x.select(1, 0), c1 = x.select(1, 1), c2 = x.select(1, 2);
  auto row = [&](int r) { return (c0 * m[r][0]).add_(c1, m[r][1]).add_(c2, m[r][2]); };
  return torch::stack({row(0), row(1), row(2)}, 1);
}
torch::Tensor mix(const torch::Tensor& m, const torch::Tensor& x) {
  auto a = m.accessor<double, 2>();
  const double copy[3][3] = {{a[0][0], a[0][1], a[0][2]}, {a[1][0], a[1][1], a[1][2]}, {a[2][0], a[2][1], a[2][2]}};
  return mix(copy, x);
}

// The companding of the 256 values of an 8-bit channel, c / 255 (a table instead of pow for byte images).
const torch::Tensor& byte_linear_table() {
  static const torch::Tensor t = [] {
    auto c = torch::arange(256, torch::kFloat64) / 255.0;
    return torch::where(c <= 0.04045, c / 12.92, ((c.clamp_min(0.04045) + 0.055) / 1.055).pow(2.4));
  }();
  return t;
}

const torch::Tensor& white() {
  static const torch::Tensor w = torch::tensor({kWhite[0], kWhite[1], kWhite[2]}, torch::kFloat64).view({1, 3, 1});
  return w;
}

// Applies `fn` to (n, 3, P) blocks of `x` ((N, 3, H, W) or (3, H, W)), float64, or uint8 as they are where
// bytes_allowed, and returns the result in x's shape, float32 (float64 for a float64 input).
torch::Tensor per_block(const torch::Tensor& x, const char* what,
                        const std::function<torch::Tensor(const torch::Tensor&)>& fn, bool bytes_allowed = false) {
  TORCH_CHECK((x.dim() == 4 || x.dim() == 3) && x.size(-3) == 3, what, " expects (N, 3, H, W) or (3, H, W), got ",
              x.sizes());
  TORCH_CHECK(x.is_floating_point() || (bytes_allowed && x.scalar_type() == torch::kUInt8), what, " expects ",
              bytes_allowed ? "a floating-point or uint8" : "a floating-point", " tensor, got ", x.scalar_type());
  torch::NoGradGuard no_grad;
  const auto out_type = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  auto flat = x.reshape({-1, 3, x.size(-2) * x.size(-1)});  // (N, 3, P)
  auto out = torch::empty(flat.sizes(), flat.options().dtype(out_type));
  const int64_t per_image = 3 * flat.size(2);
  const int64_t block = std::max<int64_t>(1, kBlockValues / std::max<int64_t>(1, per_image));
  for (int64_t start = 0; start < flat.size(0); start += block) {
    const int64_t end = std::min(flat.size(0), start + block);
    auto part = flat.slice(0, start, end);
    // Bytes reach block_rgb_to_xyz as bytes, which turns them into linear values through its table.
    out.slice(0, start, end).copy_(fn(part.scalar_type() == torch::kUInt8 ? part : part.to(torch::kFloat64)));
  }
  return out.view(x.sizes());
}

torch::Tensor compand(const torch::Tensor& linear) {  // linear -> sRGB
  return torch::where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(0.0031308).pow(1.0 / 2.4) - 0.055);
}
torch::Tensor linearize(const torch::Tensor& srgb) {  // sRGB -> linear
  return torch::where(srgb <= 0.04045, srgb / 12.92, ((srgb.clamp_min(0.04045) + 0.055) / 1.055).pow(2.4));
}
torch::Tensor lab_f(const torch::Tensor& t) {
  return torch::where(t > kEpsilon, t.clamp_min(kEpsilon).pow(1.0 / 3.0), (kKappa * t + 16.0) / 116.0);
}
torch::Tensor lab_f_inverse(const torch::Tensor& f) {
  return torch::where(f > kFThreshold, f.pow(3), (116.0 * f - 16.0) / kKappa);
}

// Blocks of (n, 3, P) float64 (uint8 for the sRGB input of byte images).
torch::Tensor block_rgb_to_xyz(const torch::Tensor& rgb) {
  if (rgb.scalar_type() == torch::kUInt8) {
    return mix(kRgbToXyz, byte_linear_table().index_select(0, rgb.flatten().to(torch::kInt64)).view(rgb.sizes()));
  }
  return mix(kRgbToXyz, linearize(rgb));
}
torch::Tensor block_xyz_to_rgb(const torch::Tensor& xyz) { return compand(mix(xyz_to_rgb_matrix(), xyz)); }
torch::Tensor block_xyz_to_lab(const torch::Tensor& xyz) {
  auto f = lab_f(xyz / white());
  auto fx = f.select(1, 0), fy = f.select(1, 1), fz = f.select(1, 2);
  return torch::stack({116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)}, 1);
}
torch::Tensor block_lab_to_xyz(const torch::Tensor& lab) {
  auto fy = (lab.select(1, 0) + 16.0) / 116.0;
  auto fx = fy + lab.select(1, 1) / 500.0;
  auto fz = fy - lab.select(1, 2) / 200.0;
  return lab_f_inverse(torch::stack({fx, fy, fz}, 1)) * white();
}

}  // namespace

torch::Tensor rgb_to_xyz(const torch::Tensor& rgb) {
  return per_block(rgb, "rgb_to_xyz", block_rgb_to_xyz, /*bytes_allowed=*/true);
}

torch::Tensor xyz_to_rgb(const torch::Tensor& xyz) { return per_block(xyz, "xyz_to_rgb", block_xyz_to_rgb); }

torch::Tensor xyz_to_lab(const torch::Tensor& xyz) { return per_block(xyz, "xyz_to_lab", block_xyz_to_lab); }

torch::Tensor lab_to_xyz(const torch::Tensor& lab) { return per_block(lab, "lab_to_xyz", block_lab_to_xyz); }

torch::Tensor rgb_to_lab(const torch::Tensor& rgb) {
  return per_block(
      rgb, "rgb_to_lab", [](const torch::Tensor& x) { return block_xyz_to_lab(block_rgb_to_xyz(x)); },
      /*bytes_allowed=*/true);
}

torch::Tensor lab_to_rgb(const torch::Tensor& lab) {
  return per_block(lab, "lab_to_rgb", [](const torch::Tensor& x) {
    // Clipping the linear values is the same as clipping the companded ones (companding is increasing and fixes 0
    // and 1), and keeps pow away from negative bases.
    return compand(mix(xyz_to_rgb_matrix(), block_lab_to_xyz(x)).clamp(0.0, 1.0));
  });
}

torch::Tensor recombine(const torch::Tensor& lightness, const torch::Tensor& ab) {
  TORCH_CHECK(lightness.dim() == 4 && lightness.size(1) == 1, "recombine expects lightness (N, 1, H, W), got ",
              lightness.sizes());
  TORCH_CHECK(ab.dim() == 4 && ab.size(1) == 2, "recombine expects ab (N, 2, H, W), got ", ab.sizes());
  TORCH_CHECK(lightness.size(0) == ab.size(0) && lightness.size(2) == ab.size(2) && lightness.size(3) == ab.size(3),
              "recombine: lightness ", lightness.sizes(), " and ab ", ab.sizes(), " differ in N, H or W");
  const auto type = torch::promote_types(lightness.scalar_type(), ab.scalar_type());
  return lab_to_rgb(torch::cat({lightness.to(type), ab.to(type)}, 1));
}

}  // namespace tint::data
