// sRGB <-> CIE XYZ <-> CIELAB, for the ab-bin colourization targets (Zhang, Isola and Efros 2016) and their metrics.
//
// The standard definitions, as Bruce Lindbloom's tables give them:
//   sRGB companding: linear = c / 12.92 for c <= 0.04045, else ((c + 0.055) / 1.055)^2.4 (and its inverse, with the
//     threshold 0.0031308 on the linear side);
//   linear sRGB -> XYZ: the sRGB primaries with white D65 (the matrix in lab.cpp, whose rows sum to the white);
//   XYZ -> Lab: reference white D65 (0.95047, 1, 1.08883), epsilon = 216/24389, kappa = 24389/27:
//     f(t) = cbrt(t) for t > epsilon, else (kappa t + 16) / 116;  L = 116 f(Y) - 16, a = 500 (f(X) - f(Y)),
//     b = 200 (f(Y) - f(Z)). L is in [0, 100]; a, b of sRGB colours lie within about [-87, 99] x [-108, 95].
//
// Every function takes (N, 3, H, W) or (3, H, W) tensors (channels on dim -3) and works element-wise with vectorized
// torch ops. The arithmetic is done in float64 (in blocks of images, so a whole data set never exists in float64 at
// once) and the result is float32, or float64 for a float64 input. Forward conversions do not clamp: values outside
// [0, 1] continue the companding curves (linearly below the threshold, so negative values stay finite).
#pragma once

#include <torch/types.h>

namespace tint::data {

// sRGB -> Lab. uint8 pixels are divided by 255 (the sRGB convention; the network input's /256 is a different thing);
// float pixels are taken as sRGB in [0, 1].
torch::Tensor rgb_to_lab(const torch::Tensor& rgb);

// Lab -> sRGB in [0, 1]. Colours outside the sRGB gamut (an ab predicted for a lightness that cannot carry it) are
// clipped per channel in linear RGB before companding, as OpenCV and scikit-image do: the nearest in-gamut colour
// along each axis, which can shift hue slightly for far-out colours. NaN stays NaN.
torch::Tensor lab_to_rgb(const torch::Tensor& lab);

// The two halves, for tests and callers that need XYZ itself. xyz_to_rgb does not clamp.
torch::Tensor rgb_to_xyz(const torch::Tensor& rgb);
torch::Tensor xyz_to_rgb(const torch::Tensor& xyz);
torch::Tensor xyz_to_lab(const torch::Tensor& xyz);
torch::Tensor lab_to_xyz(const torch::Tensor& lab);

// A predicted chroma recombined with a given lightness: lab_to_rgb(cat(L, ab)). lightness (N, 1, H, W) in [0, 100]
// (the input image's own L), ab (N, 2, H, W) -> (N, 3, H, W) sRGB in [0, 1].
torch::Tensor recombine(const torch::Tensor& lightness, const torch::Tensor& ab);

}  // namespace tint::data
