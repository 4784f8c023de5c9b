#include "tint/detect/darknet_resize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::detect {

namespace {

// One output position's two input neighbours and their weights: out = w0 * in[i0] + w1 * in[i1].
struct ResizeTaps {
  std::vector<int32_t> i0, i1;
  std::vector<float> w0, w1;
};

// Darknet's taps along one side (resize_image): s = o * scale with scale = (in - 1) / (out - 1) in float, the
// neighbours floor(s) and floor(s) + 1 weighted 1 - (s - floor(s)) and s - floor(s). The last output position
// (and every one when the input side is 1) takes `last_whole` ? the last input pixel whole (the first pass) : the
// first neighbour with its weight 1 - d alone (the second pass adds no second term there).
ResizeTaps darknet_taps(int in, int out, bool last_whole) {
  ResizeTaps t;
  t.i0.resize(out), t.i1.resize(out), t.w0.resize(out), t.w1.resize(out);
  const float scale = out > 1 ? float(in - 1) / float(out - 1) : 0.0f;
  for (int o = 0; o < out; ++o) {
    const float s = float(o) * scale;
    const int i = std::min(static_cast<int>(s), in - 1);
    const float d = s - float(i);
    const bool edge = o == out - 1 || in == 1;
    if (edge && last_whole) {
      t.i0[o] = t.i1[o] = in - 1, t.w0[o] = 1.0f, t.w1[o] = 0.0f;
    } else if (edge) {
      t.i0[o] = t.i1[o] = i, t.w0[o] = 1.0f - d, t.w1[o] = 0.0f;
    } else {  // s < in - 1 here, so i + 1 is inside (the min guards against rounding)
      t.i0[o] = std::min(i, in - 2), t.i1[o] = t.i0[o] + 1, t.w0[o] = 1.0f - d, t.w1[o] = d;
    }
  }
  return t;
}

// Darknet's pixel values: each byte as float, divided by 255 in double (load_image's `data[i] / 255.`).
const std::array<float, 256>& darknet_byte_values() {
  static const std::array<float, 256> values = [] {
    std::array<float, 256> v{};
    for (int i = 0; i < 256; ++i) v[i] = static_cast<float>(double(float(i)) / 255.0);
    return v;
  }();
  return values;
}

// The first pass for one input row: its `width` horizontally resampled values.
void darknet_row_pass(const uint8_t* in, const ResizeTaps& x, const float* values, float* out, int width) {
  for (int c = 0; c < width; ++c) out[c] = x.w0[c] * values[in[x.i0[c]]] + x.w1[c] * values[in[x.i1[c]]];
}

}  // namespace

torch::Tensor darknet_resize(const torch::Tensor& image, int width, int height) {
  if (image.dim() != 3 || image.scalar_type() != torch::kUInt8)
    throw Error("darknet_resize: expected a (C, H, W) uint8 image");
  if (width < 1 || height < 1 || image.size(1) < 1 || image.size(2) < 1)
    throw Error(
        fmt::format("darknet_resize: cannot resize {}x{} to {}x{}", image.size(2), image.size(1), width, height));
  const auto src = image.contiguous();
  const int channels = static_cast<int>(src.size(0)), in_h = static_cast<int>(src.size(1)),
            in_w = static_cast<int>(src.size(2));
  auto result = torch::empty({channels, height, width}, torch::kFloat);
  const ResizeTaps x = darknet_taps(in_w, width, true), y = darknet_taps(in_h, height, false);
  const float* values = darknet_byte_values().data();
  const uint8_t* in = src.data_ptr<uint8_t>();
  float* out = result.data_ptr<float>();
  // Rows are independent: each takes its two input rows through the first pass, then blends them (the second pass,
  // a multiply-add over contiguous floats that the compiler vectorises). About 64k output values per task.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / (int64_t(width) * channels));
  at::parallel_for(0, height, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> row0(width), row1(width);
    for (int64_t r = begin; r < end; ++r) {
      const float b0 = y.w0[r], b1 = y.w1[r];
      for (int k = 0; k < channels; ++k) {
        const uint8_t* plane = in + int64_t(k) * in_h * in_w;
        darknet_row_pass(plane + int64_t(y.i0[r]) * in_w, x, values, row0.data(), width);
        float* o = out + (int64_t(k) * height + r) * width;
        if (b1 == 0.0f) {
          for (int c = 0; c < width; ++c) o[c] = b0 * row0[c];
          continue;
        }
        darknet_row_pass(plane + int64_t(y.i1[r]) * in_w, x, values, row1.data(), width);
        for (int c = 0; c < width; ++c) o[c] = b0 * row0[c] + b1 * row1[c];
      }
    }
  });
  return result;
}

}  // namespace tint::detect
