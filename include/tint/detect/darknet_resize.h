// Darknet's resize: the plain bilinear resize Yolo-Fastest's detector and training saw (resize_image in darknet's
// src/image.c), as a fast kernel. Darknet resamples on the grid that puts the first and last input pixels on the
// first and last output pixels (x_in = x_out * (W - 1) / (w - 1), "align corners"), in two separable passes (rows
// first, then columns), without averaging: shrinking picks two neighbours per output pixel. OpenCV's blobFromImage
// (cv::resize, INTER_LINEAR) is bilinear too, but on pixel centres (x_in = (x_out + 0.5) W / w - 0.5).
#pragma once

#include <torch/types.h>

namespace tint::detect {

// image: (C, H, W) uint8. Returns (C, height, width) float in [0, 1]: darknet's resize_image of the image as darknet
// loads it (each byte / 255), with its float arithmetic in its order, so equal to it up to the compiler's fused
// multiply-adds. A side of 1 takes the first (output height 1) or last (output width 1) row / column, where darknet
// divides by zero. Splits the output rows over at::parallel_for's threads.
torch::Tensor darknet_resize(const torch::Tensor& image, int width, int height);

}  // namespace tint::detect
