// Colourizing people's own images with a trained network.
//
// Any size, grey or colour (colour is made grey first, as in training). The network predicts palette colours at a
// working resolution (it is fully convolutional, but it learned colours at CIFAR's 32-pixel scale); the predicted
// chroma (colour minus its grey) is then upsampled and added to the input's own full-resolution grey, so edges
// stay sharp and the output's grey (mean of R, G, B) equals the input's. Where adding the chroma would leave [0, 1],
// it is scaled down for that pixel, which keeps the grey exact.
//
// Only the network works on a whole image, at the working resolution. Everything at full resolution (the network's
// input, shrunk by area averaging; the upsampled chroma; the recombination) runs over strips of rows, so a
// 12,000 x 9,000 photo needs its decoded bytes, its output and a few megabytes, not gigabytes of float copies.
#pragma once

#include <filesystem>

#include <torch/types.h>

#include "tint/data/palette.h"
#include "tint/models/colour_net.h"

namespace tint::colourize {

struct ColourizeOptions {
  int working_side = 32;  // the shorter side at which the network runs (rounded to a multiple of 4); 0 = native
  bool raw = false;       // output the quantized palette prediction itself (nearest upsampling), not recombined
  int64_t strip_pixels = int64_t{1} << 22;  // full-resolution pixels per strip (whole rows, at least one)
};

class Colourizer {
 public:
  Colourizer(models::ColourNet model, data::Palette palette);
  static Colourizer from_checkpoint(const std::filesystem::path& checkpoint);

  // image: (C, H, W) uint8 with C = 1 or 3. Returns (3, H, W) float in [0, 1].
  torch::Tensor colourize(const torch::Tensor& image, const ColourizeOptions& options = {}) const;
  // The same, as the bytes an image file holds: round(255 v), (3, H, W) uint8, a quarter of the float's memory.
  torch::Tensor colourize_bytes(const torch::Tensor& image, const ColourizeOptions& options = {}) const;

  const data::Palette& palette() const { return palette_; }
  const std::string& model_name() const { return model_name_; }

 private:
  // Writes the colourized image into `out` ((3, H, W), float32 or uint8), strip by strip.
  void render(const torch::Tensor& image, const ColourizeOptions& options, torch::Tensor& out) const;

  models::ColourNet model_;
  data::Palette palette_;
  std::string model_name_;
};

// (C, H, W) uint8 -> (1, H, W) float in [0, 1]: the mean of R, G and B on the 8-bit display scale (/ 255), the
// intensity the predicted chroma is added to. The network's own input is data::to_network_input (the source's / 256).
torch::Tensor grey_of(const torch::Tensor& image);

// Rows [begin, end) of the bilinear resize (align_corners = false, as torch's interpolate) of `small` (C, h, w) to
// (C, H, W), computed from the rows of `small` they need.
torch::Tensor bilinear_rows(const torch::Tensor& small, int64_t H, int64_t W, int64_t begin, int64_t end);

// The network's input (data::to_network_input) of `image` (C, H, W) uint8, shrunk to (1, 1, h, w) by area averaging
// (h <= H, w <= W; as torch's interpolate in area mode), reading the image one output row's band at a time.
torch::Tensor shrunk_network_input(const torch::Tensor& image, int64_t h, int64_t w);

}  // namespace tint::colourize
