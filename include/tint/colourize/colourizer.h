// Colourizing people's own images with a trained network.
//
// Any size, grey or colour (colour is made grey first, as in training). The network predicts palette colours at a
// working resolution (it is fully convolutional, but it learned colours at CIFAR's 32-pixel scale); the predicted
// chroma (colour minus its grey) is then upsampled and added to the input's own full-resolution grey, so edges
// stay sharp and the output's grey (mean of R, G, B) equals the input's. Where adding the chroma would leave [0, 1],
// it is scaled down for that pixel, which keeps the grey exact.
#pragma once

#include <filesystem>

#include <torch/types.h>

#include "tint/data/palette.h"
#include "tint/models/colour_net.h"

namespace tint::colourize {

struct ColourizeOptions {
  int working_side = 32;  // the shorter side at which the network runs (rounded to a multiple of 4); 0 = native
  bool raw = false;       // output the quantized palette prediction itself (nearest upsampling), not recombined
};

class Colourizer {
 public:
  Colourizer(models::ColourNet model, data::Palette palette);
  static Colourizer from_checkpoint(const std::filesystem::path& checkpoint);

  // image: (C, H, W) uint8 with C = 1 or 3. Returns (3, H, W) float in [0, 1].
  torch::Tensor colourize(const torch::Tensor& image, const ColourizeOptions& options = {}) const;

  const data::Palette& palette() const { return palette_; }
  const std::string& model_name() const { return model_name_; }

 private:
  models::ColourNet model_;
  data::Palette palette_;
  std::string model_name_;
};

// (C, H, W) uint8 -> (1, H, W) float in [0, 1]: the mean of R, G and B on the 8-bit display scale (/ 255), the
// intensity the predicted chroma is added to. The network's own input is data::to_network_input (the source's / 256).
torch::Tensor grey_of(const torch::Tensor& image);

}  // namespace tint::colourize
