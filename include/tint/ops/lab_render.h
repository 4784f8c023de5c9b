// An ab-bins colourizer's full-resolution work in one float32 pass per pixel: the predicted ab brought from the
// working size to the pixel (bilinear, or the guided filter's coefficients applied to the pixel's grey), the pixel's
// own CIELAB lightness from its bytes, and Lab -> XYZ -> linear RGB -> sRGB, clipped per channel in linear RGB, as
// data::recombine does it with LibTorch's float64 operators (data/lab.h has the definitions).
//
// Why: data::rgb_to_lab and data::recombine over a 720p frame make a dozen full-frame float64 temporaries and call
// pow on every one of them; with the upsampling's own tensors that was 217 ms of CPU per 720p frame against 5 ms
// for the rest of colourizing it (bench/bench_colourize.cpp; docs/video.md, "Speed"); this pass takes 12 ms. Here each pixel is
// read once and written once, the cube roots and the companding's power come from a vectorized Halley iteration
// instead of pow, and the rows are split over the intra-op threads (at::parallel_for).
//
// Accuracy (tests/ops/test_lab_render.cpp, against a scalar float64 transcription of data/lab.h): within 1e-5 of the
// float64 result in sRGB on [0, 1], so bytes are round(255 v) of it, or one level off where 255 v lies within
// 0.003 of a half.
#pragma once

#include <torch/types.h>

namespace tint::ops {

// The chroma at the working size, (2, h, w) planes, as the colourizer has it after decoding.
struct WorkingChroma {
  // Bilinear: the ab itself. Guided: the guided filter's mean coefficient a (colourize::GuidedCoefficients::a).
  torch::Tensor a;
  // Guided: the mean offset b; undefined for bilinear upsampling. Then ab = clamp(A g + B, lo, hi) at each pixel, A
  // and B the bilinear upsampling of a and b and g the pixel's grey on the network input's scale (mean byte / 256).
  torch::Tensor b;
  float lo[2] = {0.0f, 0.0f}, hi[2] = {0.0f, 0.0f};  // guided: each channel's clamp range
};

// image: (1 | 3, H, W) uint8, its sRGB colours (grey: R = G = B); out: (3, H, W) float32 (sRGB in [0, 1]) or uint8
// (round(255 v)), written in full. The ab is upsampled as colourize::bilinear_rows does (align_corners = false, so
// at the image's own size it is taken as it is), the lightness kept: the output's L is the pixel's own wherever the
// colour is inside the sRGB gamut. A NaN in the chroma gives 0 in the channels it reaches (bytes cannot hold NaN).
void render_lab(const torch::Tensor& image, const WorkingChroma& chroma, torch::Tensor& out);

}  // namespace tint::ops
