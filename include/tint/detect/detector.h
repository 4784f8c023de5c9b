// Finding objects in people's photos with a darknet model: the photo made into the network's input, the network,
// decoding and NMS, and the boxes placed back on the photo in its own pixels.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/data/boxes.h"
#include "tint/data/reduced_image.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/network_input.h"
#include "tint/detect/postprocess.h"

namespace tint::detect {

struct DetectOptions {
  int size = 0;  // the network input's side (a multiple of 32); 0 = the cfg's [net] width and height
  ResizeMode resize = ResizeMode::stretch;
  Resample resample = Resample::darknet;  // as Yolo-Fastest was trained (docs/detection.md, "Resampling")
  PostprocessOptions post;
};

class Detector {
 public:
  // The model's heads must predict names.size() classes.
  Detector(DarknetModel model, std::vector<std::string> names);
  static Detector from_files(const std::filesystem::path& cfg, const std::filesystem::path& weights,
                             const std::filesystem::path& names);

  // image: (C, H, W) uint8, C = 1 or 3. Boxes in the image's pixels, best first.
  std::vector<data::Detection> detect(const torch::Tensor& image, const DetectOptions& options = {}) const;
  // A photo read reduced (data::read_image_reduced, at least the input size): boxes in the full photo's pixels, the
  // reduced image's coordinates times its scale (a reduced pixel covers scale x scale of the photo's).
  std::vector<data::Detection> detect(const data::ReducedImage& photo, const DetectOptions& options = {}) const;
  // The network input side `options` asks for, checked (a multiple of 32, at least 32).
  std::pair<int, int> input_size(const DetectOptions& options) const;

  const std::vector<std::string>& names() const { return names_; }
  DarknetModel model() const { return model_; }

 private:
  // image is the photo at 1 / scale; boxes are returned in the photo's pixels, clipped to width x height.
  std::vector<data::Detection> detect_scaled(const torch::Tensor& image, int scale, int64_t width, int64_t height,
                                             const DetectOptions& options) const;

  DarknetModel model_;
  std::vector<std::string> names_;
};

}  // namespace tint::detect
