#include "tint/ops/lab_render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include "cpu_loops.h"

namespace tint::ops {
// A named namespace rather than an anonymous one: the ops files are compiled as one unity translation unit.
namespace lab_render {

using cpu::Floats;
using Ints = int32_t __attribute__((vector_size(cpu::kVectorFloats * sizeof(int32_t))));
constexpr int64_t kLanes = cpu::kVectorFloats;

// data/lab.cpp's constants (its header has the definitions): linear sRGB -> XYZ for D65 and the white point.
constexpr double kRgbToXyz[3][3] = {
    {0.4124564, 0.3575761, 0.1804375}, {0.2126729, 0.7151522, 0.0721750}, {0.0193339, 0.1191920, 0.9503041}};
constexpr double kWhite[3] = {0.95047, 1.0, 1.08883};
constexpr float kEpsilon = float(216.0 / 24389.0);
constexpr float kKappa = float(24389.0 / 27.0);
constexpr float kFThreshold = float(6.0 / 29.0);
constexpr float kLinearThreshold = 0.0031308f;  // sRGB companding: linear below, a power above

// The constants as the pixel loop uses them, worked out in double once: the matrix's Y row for the lightness, the
// inverse matrix with the white point folded into its columns (XYZ = white * f^-1(...)), the companding of each byte.
struct Constants {
  float y_row[3];
  float to_rgb[3][3];  // linear RGB = to_rgb * (f^-1(fx), Y, f^-1(fz))
  std::array<float, 256> byte_linear;
  Constants() {
    const auto& m = kRgbToXyz;
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    double inv[3][3];
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {  // the adjugate's (r, c) is the cofactor of (c, r)
        const int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
        inv[r][c] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
      }
    }
    for (int r = 0; r < 3; ++r) {
      y_row[r] = float(m[1][r] / kWhite[1]);
      for (int c = 0; c < 3; ++c) to_rgb[r][c] = float(inv[r][c] * kWhite[c]);
    }
    for (int v = 0; v < 256; ++v) {
      const double s = v / 255.0;
      byte_linear[size_t(v)] = float(s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4));
    }
  }
};
const Constants& constants() {
  static const Constants c;
  return c;
}

TINT_INLINE Floats splat(float v) { return Floats{} + v; }
TINT_INLINE Floats load_lanes(const float* p) {
  Floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// min(max(v, lo), hi), with NaN going to lo: the comparisons are false for NaN.
TINT_INLINE Floats clamp_lanes(Floats v, Floats lo, Floats hi) {
  v = v > lo ? v : lo;
  return v < hi ? v : hi;
}

template <int kN>
TINT_INLINE Floats power(Floats z) {
  static_assert(kN == 3 || kN == 12, "the roots taken are cube roots and twelfth roots");
  if constexpr (kN == 3) {
    return z * z * z;
  } else {
    const Floats z2 = z * z, z4 = z2 * z2;
    return z4 * z4 * z4;
  }
}

// a^(p/n) for positive normal a, without pow (which g++ does not vectorize): a guess read off the float's bits (its
// exponent and mantissa are a piecewise-linear log2 within 0.09, so p/n of the bits, plus (1 - p/n) of 1.0f's, is a
// guess within 6 %), then Halley's iteration for z^n = a^p, z <- z ((n - 1) z^n + (n + 1) c) / ((n + 1) z^n +
// (n - 1) c) with c = a^p, whose relative error goes as its cube times (n^2 - 1) / 12: 6 % -> 1.4e-4 -> 1e-12 for
// n = 3, 6 % -> 2.6e-3 -> 2e-7 -> float rounding for n = 12. bits / 3 is a sum of shifts (vector code has no integer
// division; the guess does not need the last bits).
template <int kP, int kN, int kIterations>
TINT_INLINE Floats root(Floats a, Floats a_to_p) {
  static_assert(kN % 3 == 0 && kN / 3 <= 4, "the guess divides by 3, then by a power of two");
  constexpr int kShift = kN == 3 ? 0 : kN == 6 ? 1 : 2;
  const Ints bits = (Ints)a;
  Ints third = bits >> 2;
  for (int s = 4; s <= 22; s += 2) third += bits >> s;  // bits (1/4 + 1/16 + ... + 1/4^11), under bits / 3 by 1e-7
  constexpr double kOneBits = 1065353216.0;             // the bits of 1.0f
  const Ints offset = Ints{} + int32_t(kOneBits * (1.0 - double(kP) / kN));
  Floats z = (Floats)((third >> kShift) * kP + offset);
  for (int k = 0; k < kIterations; ++k) {
    const Floats zn = power<kN>(z);
    z = z * (float(kN - 1) * zn + float(kN + 1) * a_to_p) / (float(kN + 1) * zn + float(kN - 1) * a_to_p);
  }
  return z;
}

// sRGB companding of linear values in [0, 1]: 12.92 v up to 0.0031308, 1.055 v^(1/2.4) - 0.055 above, with
// v^(1/2.4) = (v^5)^(1/12). Both sides are computed and one chosen, as vector code does.
TINT_INLINE Floats compand(Floats v) {
  const Floats t = v > splat(kLinearThreshold) ? v : splat(kLinearThreshold);  // keeps the root's input normal
  const Floats t2 = t * t;
  const Floats curve = 1.055f * root<5, 12, 3>(t, t2 * t2 * t) - 0.055f;
  return v <= splat(kLinearThreshold) ? 12.92f * v : curve;
}

// The pixel's sRGB from its luminance Y and its ab, 16 pixels at a time. Y's cube root gives f(Y) = (L + 16) / 116,
// so L itself is never formed; X and Z come back through f^-1, Y is the pixel's own.
TINT_INLINE void lab_to_srgb(const Constants& k, Floats y, Floats a, Floats b, Floats rgb[3]) {
  const Floats y_clamped = y > splat(kEpsilon) ? y : splat(kEpsilon);
  const Floats fy_cube = root<1, 3, 2>(y_clamped, y_clamped);
  const Floats fy = y > splat(kEpsilon) ? fy_cube : (kKappa * y + 16.0f) * (1.0f / 116.0f);
  const Floats fx = fy + a * (1.0f / 500.0f), fz = fy - b * (1.0f / 200.0f);
  const Floats x = fx > splat(kFThreshold) ? power<3>(fx) : (116.0f * fx - 16.0f) * (1.0f / kKappa);
  const Floats z = fz > splat(kFThreshold) ? power<3>(fz) : (116.0f * fz - 16.0f) * (1.0f / kKappa);
  const Floats zero = splat(0.0f), one = splat(1.0f);
  for (int c = 0; c < 3; ++c) {
    // Outside the gamut each channel is clipped in linear RGB, as data::lab_to_rgb does.
    const Floats linear = clamp_lanes(k.to_rgb[c][0] * x + k.to_rgb[c][1] * y + k.to_rgb[c][2] * z, zero, one);
    rgb[c] = clamp_lanes(compand(linear), zero, one);
  }
}

// One image row's pixels [0, width): their luminance and guide grey, then the row's upsampled chroma planes, then the
// colour. Scratch holds kPlanes + 2 padded rows of floats; the vector loop runs over whole lanes of it.
struct RowJob {
  const uint8_t* channel[3];  // the row of each channel (the same one thrice for a grey image)
  int channels;
  int64_t width, padded;
  // The chroma planes at the working size (2 for bilinear, 4 for guided: a0, a1, b0, b1) and their row taps.
  const float* planes[4];
  int plane_count;
  int64_t small_width;
  int64_t row0, row1;
  float row_weight;
  const int32_t *col0, *col1;
  const float* col_weight;
  float lo[2], hi[2];
  void* out[3];  // the row of each output channel
};

template <typename Out>
TINT_INLINE void render_row(const RowJob& j, float* scratch) {
  const Constants& k = constants();
  float* y = scratch;
  float* grey = y + j.padded;
  float* full[4] = {grey + j.padded, grey + 2 * j.padded, grey + 3 * j.padded, grey + 4 * j.padded};
  float* small_row = grey + 5 * j.padded;  // small_width floats
  const uint8_t *r = j.channel[0], *g = j.channel[1], *b = j.channel[2];
  const float grey_scale = 1.0f / (256.0f * float(j.channels == 1 ? 1 : 3));  // the network input's scale
  for (int64_t x = 0; x < j.width; ++x) {
    y[x] = k.y_row[0] * k.byte_linear[r[x]] + k.y_row[1] * k.byte_linear[g[x]] + k.y_row[2] * k.byte_linear[b[x]];
    grey[x] = float(j.channels == 1 ? int(r[x]) : int(r[x]) + int(g[x]) + int(b[x])) * grey_scale;
  }
  // Bilinear upsampling as colourize::bilinear_rows: between the two working rows, then between two columns.
  const float wy = j.row_weight, wy0 = 1.0f - wy;
  for (int p = 0; p < j.plane_count; ++p) {
    const float* top = j.planes[p] + j.row0 * j.small_width;
    const float* bottom = j.planes[p] + j.row1 * j.small_width;
    for (int64_t x = 0; x < j.small_width; ++x) small_row[x] = top[x] * wy0 + bottom[x] * wy;
    float* f = full[p];
    for (int64_t x = 0; x < j.width; ++x) {
      const float wx = j.col_weight[x];
      f[x] = small_row[j.col0[x]] * (1.0f - wx) + small_row[j.col1[x]] * wx;
    }
  }
  const bool guided = j.plane_count == 4;
  const Floats lo0 = splat(j.lo[0]), lo1 = splat(j.lo[1]), hi0 = splat(j.hi[0]), hi1 = splat(j.hi[1]);
  for (int64_t x = 0; x < j.width; x += kLanes) {
    Floats a = load_lanes(full[0] + x), b = load_lanes(full[1] + x);
    if (guided) {  // the same branch for the whole row
      const Floats guide = load_lanes(grey + x);
      a = clamp_lanes(a * guide + load_lanes(full[2] + x), lo0, hi0);
      b = clamp_lanes(b * guide + load_lanes(full[3] + x), lo1, hi1);
    }
    Floats rgb[3];
    lab_to_srgb(k, load_lanes(y + x), a, b, rgb);
    const int64_t n = std::min(kLanes, j.width - x);  // the last lanes of a row may be padding
    for (int c = 0; c < 3; ++c) {
      Out* o = static_cast<Out*>(j.out[c]) + x;
      if constexpr (std::is_same_v<Out, uint8_t>) {
        // round(255 v) for v in [0, 1], ties to even as torch's round: adding 2^23 leaves the rounded integer in
        // the mantissa's low bits (vector code has no float-to-byte conversion).
        const Ints rounded = (Ints)(rgb[c] * 255.0f + 8388608.0f);
        for (int64_t i = 0; i < n; ++i) o[i] = uint8_t(rounded[i] & 0xFF);
      } else {
        std::memcpy(o, &rgb[c], size_t(n) * sizeof(float));
      }
    }
  }
}

TINT_CPU_KERNEL(render_row_bytes, render_row<uint8_t>, (const RowJob& job, float* scratch), (job, scratch))
TINT_CPU_KERNEL(render_row_floats, render_row<float>, (const RowJob& job, float* scratch), (job, scratch))

// Taps of bilinear resizing from `in` to `out` samples (align_corners = false), as colourize's linear_taps: output j
// reads in[first] and in[second] with weight (1 - w, w), source = max(0, (j + 0.5) in / out - 0.5) in double.
struct Tap {
  int32_t first, second;
  float weight;
};
Tap linear_tap(int64_t j, int64_t in, int64_t out) {
  const double source = std::max(0.0, (double(j) + 0.5) * (double(in) / double(out)) - 0.5);
  const int64_t first = std::min<int64_t>(int64_t(std::floor(source)), in - 1);
  const int64_t second = std::min<int64_t>(first + 1, in - 1);
  return {int32_t(first), int32_t(second), float(std::clamp(source - double(first), 0.0, 1.0))};
}

}  // namespace lab_render

void render_lab(const torch::Tensor& image, const WorkingChroma& chroma, torch::Tensor& out) {
  namespace lr = lab_render;  // qualified: the unity build puts the other ops files' names beside these
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) && image.scalar_type() == torch::kUInt8,
              "render_lab expects a (1|3, H, W) uint8 image, got ", image.sizes(), " ", image.scalar_type());
  const int64_t H = image.size(1), W = image.size(2);
  TORCH_CHECK(out.dim() == 3 && out.size(0) == 3 && out.size(1) == H && out.size(2) == W && out.is_contiguous() &&
                  (out.scalar_type() == torch::kUInt8 || out.scalar_type() == torch::kFloat),
              "render_lab writes a contiguous (3, H, W) uint8 or float32 output, got ", out.sizes(), " ",
              out.scalar_type());
  TORCH_CHECK(chroma.a.dim() == 3 && chroma.a.size(0) == 2 && chroma.a.size(1) > 0 && chroma.a.size(2) > 0,
              "render_lab expects (2, h, w) chroma, got ", chroma.a.sizes());
  const bool guided = chroma.b.defined();
  TORCH_CHECK(!guided || chroma.b.sizes() == chroma.a.sizes(), "render_lab: the guided b differs from a in shape");
  if (H == 0 || W == 0) return;
  RECORD_FUNCTION("tint::render_lab", std::vector<c10::IValue>());  // named in profiles
  const auto pixels = image.contiguous();
  const auto a = chroma.a.to(torch::kFloat).contiguous();
  const auto b = guided ? chroma.b.to(torch::kFloat).contiguous() : torch::Tensor();
  const int64_t h = a.size(1), w = a.size(2);
  lr::constants();  // built before the threads start

  std::vector<int32_t> col0(size_t(W), 0), col1(size_t(W), 0);
  std::vector<float> col_weight(size_t(W), 0.0f);
  for (int64_t x = 0; x < W; ++x) {
    const lr::Tap t = lr::linear_tap(x, w, W);
    col0[size_t(x)] = t.first;
    col1[size_t(x)] = t.second;
    col_weight[size_t(x)] = t.weight;
  }
  const int64_t padded = (W + lr::kLanes - 1) / lr::kLanes * lr::kLanes;
  const int64_t plane = H * W;
  const auto* source = pixels.data_ptr<uint8_t>();
  const bool bytes = out.scalar_type() == torch::kUInt8;
  auto* target = static_cast<char*>(out.data_ptr());
  const size_t element = bytes ? 1 : sizeof(float);
  const float* a_data = a.data_ptr<float>();
  const float* b_data = guided ? b.data_ptr<float>() : nullptr;
  at::parallel_for(0, H, cpu::kGrainRows, [&](int64_t begin, int64_t end) {
    // Zeroed, so the padding lanes compute a harmless colour that is never stored.
    std::vector<float> scratch(size_t(6 * padded + w), 0.0f);
    lr::RowJob job{};
    job.channels = int(pixels.size(0));
    job.width = W;
    job.padded = padded;
    job.plane_count = guided ? 4 : 2;
    job.planes[0] = a_data;
    job.planes[1] = a_data + h * w;
    job.planes[2] = guided ? b_data : nullptr;
    job.planes[3] = guided ? b_data + h * w : nullptr;
    job.small_width = w;
    job.col0 = col0.data();
    job.col1 = col1.data();
    job.col_weight = col_weight.data();
    for (int c = 0; c < 2; ++c) job.lo[c] = chroma.lo[c], job.hi[c] = chroma.hi[c];
    for (int64_t row = begin; row < end; ++row) {
      for (int c = 0; c < 3; ++c) job.channel[c] = source + (job.channels == 1 ? 0 : c * plane) + row * W;
      for (int c = 0; c < 3; ++c) job.out[c] = target + (c * plane + row * W) * int64_t(element);
      const lr::Tap t = lr::linear_tap(row, h, H);
      job.row0 = t.first;
      job.row1 = t.second;
      job.row_weight = t.weight;
      if (bytes) {
        lr::render_row_bytes(job, scratch.data());
      } else {
        lr::render_row_floats(job, scratch.data());
      }
    }
  });
}

}  // namespace tint::ops
