#include "tint/detect/network_input.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/detect/darknet_resize.h"

namespace tint::detect {

ResizeMode parse_resize_mode(const std::string& name) {
  if (name == "stretch") return ResizeMode::stretch;
  if (name == "letterbox") return ResizeMode::letterbox;
  throw Error(fmt::format("unknown resize mode '{}': expected stretch or letterbox", name));
}

std::string to_string(ResizeMode mode) { return mode == ResizeMode::stretch ? "stretch" : "letterbox"; }

const std::vector<std::pair<Resample, std::string>>& resample_names() {
  static const std::vector<std::pair<Resample, std::string>> names{{Resample::darknet, "darknet"},
                                                                   {Resample::antialias, "antialias"}};
  return names;
}

std::string to_string(Resample resample) { return resample == Resample::darknet ? "darknet" : "antialias"; }

namespace {

// image: (C, H, W) uint8 with C = 1 or 3; the result is (3, height, width) float in [0, 1].
torch::Tensor resized(const torch::Tensor& image, int64_t width, int64_t height, Resample resample) {
  if (resample == Resample::darknet) {
    auto out = darknet_resize(image, int(width), int(height));
    return out.size(0) == 1 ? out.expand({3, -1, -1}).contiguous() : out;
  }
  namespace F = torch::nn::functional;
  const auto rgb = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
  const bool shrinking = width < rgb.size(2) || height < rgb.size(1);
  auto out = F::interpolate(rgb.to(torch::kFloat).div_(255).unsqueeze(0), F::InterpolateFuncOptions()
                                                                              .size(std::vector<int64_t>{height, width})
                                                                              .mode(torch::kBilinear)
                                                                              .align_corners(false)
                                                                              .antialias(shrinking));
  return out.squeeze(0).clamp_(0, 1);
}

}  // namespace

NetworkInput network_input(const torch::Tensor& image, int width, int height, ResizeMode mode, Resample resample) {
  if (image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3) || image.scalar_type() != torch::kUInt8)
    throw Error("detector input: expected a (1 or 3, H, W) uint8 image");
  if (width < 1 || height < 1) throw Error(fmt::format("detector input size {}x{} must be positive", width, height));
  torch::NoGradGuard no_grad;
  const int image_w = static_cast<int>(image.size(2)), image_h = static_cast<int>(image.size(1));
  NetworkInput in;
  in.placement.image_w = image_w;
  in.placement.image_h = image_h;
  if (mode == ResizeMode::stretch) {
    in.pixels = resized(image, width, height, resample);
    in.placement.scale_x = float(width) / image_w;
    in.placement.scale_y = float(height) / image_h;
    return in;
  }
  const float scale = std::min(float(width) / image_w, float(height) / image_h);
  const int64_t w = std::clamp<int64_t>(std::lround(image_w * scale), 1, width);
  const int64_t h = std::clamp<int64_t>(std::lround(image_h * scale), 1, height);
  const int64_t left = (width - w) / 2, top = (height - h) / 2;
  in.pixels = torch::full({3, height, width}, 0.5f);
  in.pixels.narrow(1, top, h).narrow(2, left, w).copy_(resized(image, w, h, resample));
  in.placement = {float(w) / image_w, float(h) / image_h, float(left), float(top), image_w, image_h};
  return in;
}

data::Box to_image(const data::Box& box, const Placement& p) {
  const auto x = [&](float v) { return std::clamp((v - p.pad_x) / p.scale_x, 0.0f, float(p.image_w)); };
  const auto y = [&](float v) { return std::clamp((v - p.pad_y) / p.scale_y, 0.0f, float(p.image_h)); };
  return {x(box.x1), y(box.y1), x(box.x2), y(box.y2)};
}

}  // namespace tint::detect
