#include "tint/detect/detector.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/detection_labels.h"
#include "tint/detect/darknet_weights.h"

namespace tint::detect {

Detector::Detector(DarknetModel model, std::vector<std::string> names)
    : model_(std::move(model)), names_(std::move(names)) {
  for (const auto& head : model_->heads())
    if (head.num_classes != static_cast<int>(names_.size()))
      throw Error(fmt::format("the model's yolo layers predict {} classes, but {} class names were given",
                              head.num_classes, names_.size()));
  model_->eval();
}

Detector Detector::from_files(const std::filesystem::path& cfg, const std::filesystem::path& weights,
                              const std::filesystem::path& names) {
  auto model = build_darknet_model(cfg);
  load_weights(*model, weights);
  return Detector(model, data::read_names(names));
}

std::pair<int, int> Detector::input_size(const DetectOptions& options) const {
  if (options.size == 0) return {model_->input_width(), model_->input_height()};
  // Yolo-Fastest and YOLOv3/v4 halve the resolution five times; routes and shortcuts need the sizes to agree.
  if (options.size < 32 || options.size % 32 != 0)
    throw Error(fmt::format("--size must be a positive multiple of 32, got {}", options.size));
  return {options.size, options.size};
}

std::vector<data::Detection> Detector::detect(const torch::Tensor& image, const DetectOptions& options) const {
  return detect_scaled(image, 1, image.dim() == 3 ? image.size(2) : 0, image.dim() == 3 ? image.size(1) : 0, options);
}

std::vector<data::Detection> Detector::detect(const data::ReducedImage& photo, const DetectOptions& options) const {
  return detect_scaled(photo.pixels, photo.scale, photo.width, photo.height, options);
}

std::vector<data::Detection> Detector::detect_scaled(const torch::Tensor& image, int scale, int64_t width,
                                                     int64_t height, const DetectOptions& options) const {
  const auto [w, h] = input_size(options);
  auto input = network_input(image, w, h, options.resize, options.resample);
  if (scale != 1) {  // input pixels -> reduced pixels -> the photo's (times scale), clipped to the photo
    input.placement.scale_x /= float(scale);
    input.placement.scale_y /= float(scale);
    input.placement.image_w = static_cast<int>(width);
    input.placement.image_h = static_cast<int>(height);
  }
  torch::NoGradGuard no_grad;
  model_.ptr()->eval();  // a model shared with a trainer may be in train mode (batch statistics, dropout)
  const auto raw = model_->forward(input.pixels.unsqueeze(0));
  auto found = postprocess(raw, model_->heads(), w, h, options.post)[0];
  for (auto& d : found) d.box = to_image(d.box, input.placement);
  return found;
}

}  // namespace tint::detect
