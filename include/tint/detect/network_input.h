// A photo of any size made into a detector's input, and the detector's boxes mapped back onto the photo.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"

namespace tint::detect {

// stretch: both sides scaled to the input size independently, as darknet's detector does (resize_image); the
// network saw COCO stretched this way in training. letterbox: the aspect ratio kept, the rest padded with grey 0.5
// (darknet's letterbox_image): shapes stay true, at the cost of fewer pixels on the object.
enum class ResizeMode { stretch, letterbox };

ResizeMode parse_resize_mode(const std::string& name);  // "stretch" or "letterbox"; anything else throws
std::string to_string(ResizeMode mode);

// How the photo is resampled to the input size. darknet: darknet's plain bilinear resize_image (darknet_resize.h),
// the sampling Yolo-Fastest was trained on; shrinking picks two neighbours per pixel, so fine detail aliases.
// antialias: bilinear whose kernel widens with the shrinking factor (PIL's), averaging every input pixel an output
// pixel covers.
enum class Resample { darknet, antialias };

// The names flags, config.json and detection JSON spell them by: "darknet", "antialias".
const std::vector<std::pair<Resample, std::string>>& resample_names();
std::string to_string(Resample resample);

// How network-input pixels map to image pixels: image_x = (input_x - pad_x) / scale_x (likewise y).
struct Placement {
  float scale_x = 1, scale_y = 1, pad_x = 0, pad_y = 0;
  int image_w = 0, image_h = 0;
};

struct NetworkInput {
  torch::Tensor pixels;  // (3, height, width) float in [0, 1], RGB
  Placement placement;
};

// image: (C, H, W) uint8, C = 1 (repeated to RGB) or 3, resampled as `resample` says (antialias only antialiases
// when shrinking; enlarging is plain bilinear on pixel centres).
NetworkInput network_input(const torch::Tensor& image, int width, int height, ResizeMode mode, Resample resample);

// A box in network-input pixels as a box in image pixels, clipped to the image.
data::Box to_image(const data::Box& box, const Placement& placement);

}  // namespace tint::detect
