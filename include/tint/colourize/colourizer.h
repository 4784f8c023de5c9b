// Colourizing people's own images with a trained network.
//
// Any size, grey or colour (colour is made grey first, as in training). The network predicts colours at a working
// resolution (it is fully convolutional, but it learned colours at CIFAR's 32-pixel scale), then:
//   palette models: the predicted chroma (colour minus its grey) is upsampled (see Upsample) and added to the input's
//     own full-resolution grey, so edges stay sharp and the output's grey (mean of R, G, B) equals the input's. Where
//     adding the chroma would leave [0, 1], it is scaled down for that pixel, which keeps the grey exact.
//   ab-bins models (train/colour_targets.h): the predicted distribution is decoded to ab (mode, mean or annealed
//     mean), upsampled (see Upsample) and recombined with the input's own full-resolution CIELAB lightness L
//     (data::recombine): the output's L is the input's wherever the colour is inside the sRGB gamut (outside, the
//     colour is clipped per channel in linear RGB, which moves L a little).
//
// The upsampling is bilinear, or guided (the default): He et al.'s guided filter ("Guided Image Filtering", ECCV 2010 /
// TPAMI 2013) in its fast form for upsampling (Wu et al., CVPR 2018): at the working size, the chroma p is fitted as
// p = a I + b over each (2r + 1)^2 window of the network's grey input I (a = cov(I, p) / (var(I) + eps),
// b = mean(p) - a mean(I), then a and b averaged over the windows covering each pixel); the averaged a and b are
// upsampled bilinearly and applied to the full-resolution grey: chroma = A I_full + B, clamped to the range of the
// predicted chroma. Chroma then changes where the full-resolution grey changes, so colour stops at edges instead of
// bleeding a working pixel's width across them. Either way only the chroma is upsampled: the lightness promises
// above hold for both.
//
// Only the network works on a whole image, at the working resolution. Everything at full resolution (the network's
// input, shrunk by area averaging; the upsampled chroma; the recombination) runs over rows, so a 12,000 x 9,000 photo
// needs its decoded bytes, its output and a few megabytes, not gigabytes of float copies: for ab-bins models one
// fused float32 pass per pixel (ops/lab_render.h: upsampling, the pixel's L, Lab -> sRGB, rounding) split over the
// intra-op threads, for palette models and raw output LibTorch's operators over strips of rows (strip_pixels).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "tint/data/ab_bins.h"
#include "tint/data/palette.h"
#include "tint/models/colour_net.h"

namespace tint::colourize {

// How the predicted chroma is brought to full resolution (see above).
enum class Upsample { bilinear, guided };
const std::vector<std::pair<Upsample, std::string>>& upsample_names();  // "bilinear", "guided"

struct ColourizeOptions {
  // The shorter side at which the network runs (rounded to a multiple of the network's size_multiple: 4 for the
  // source's nets); 0 = native.
  int working_side = 32;
  // Output the network's own picture at the working resolution (nearest upsampling), not recombined at full
  // resolution: the predicted palette colours, or the decoded ab on the lightness of the network's grey input.
  bool raw = false;
  // Full-resolution pixels per strip (whole rows, at least one) where LibTorch's operators do the work: palette models
  // and raw output (ab-bins models' fused pass holds a few rows per thread whatever this says).
  int64_t strip_pixels = int64_t{1} << 22;
  // ab-bins models: how to decode, instead of the model's own (its run's --decode / --temperature). A palette model
  // refuses it (tint::Error): its prediction is the argmax colour.
  std::optional<data::AbDecoding> decoding;
  // Colourizer::picture: the grey input and the colourized image next to each other.
  bool side_by_side = false;
  Upsample upsample = Upsample::guided;
  int guide_radius = 1;     // guided: the box filter's radius r, in working-size pixels
  double guide_eps = 1e-3;  // guided: the regularisation eps (the grey on [0, 1]; variances below eps smooth)
};

// The network's colours for one image at the working resolution, before they are recombined with the image at full
// resolution: what a video's temporal smoothing (temporal.h) carries from frame to frame.
struct Prediction {
  torch::Tensor input;   // (1, 1, wh, ww): the network's grey input (data::to_network_input's scale)
  torch::Tensor colour;  // (2, wh, ww) ab for ab-bins models; (3, wh, ww) RGB palette colours in [0, 1] otherwise
};

class Colourizer {
 public:
  Colourizer(models::ColourNet model, data::Palette palette);
  // An ab-bins model (NC = bins.size()), decoding as `decoding` says unless the options override it.
  Colourizer(models::ColourNet model, data::AbBins bins, data::AbDecoding decoding = {});
  // Palette or ab-bins, as the checkpoint's run was trained.
  static Colourizer from_checkpoint(const std::filesystem::path& checkpoint);

  // image: (C, H, W) uint8 with C = 1 or 3. Returns (3, H, W) float in [0, 1].
  torch::Tensor colourize(const torch::Tensor& image, const ColourizeOptions& options = {}) const;
  // The same, as the bytes an image file holds: round(255 v), (3, H, W) uint8, a quarter of the float's memory.
  torch::Tensor colourize_bytes(const torch::Tensor& image, const ColourizeOptions& options = {}) const;
  // The two halves of colourize: the network's prediction at the working size, then the image recombined with it
  // ((3, H, W) uint8; the prediction may have been changed in between: smoothed over a video's frames).
  Prediction predict(const torch::Tensor& image, const ColourizeOptions& options = {}) const;
  torch::Tensor colourize_bytes(const torch::Tensor& image, const Prediction& prediction,
                                const ColourizeOptions& options = {}) const;
  // What `tint colourize` writes: colourize_bytes, or with options.side_by_side grey | colourized as (3, H, 2W) float.
  torch::Tensor picture(const torch::Tensor& image, const ColourizeOptions& options = {}) const;

  bool predicts_ab() const { return predicts_ab_; }
  const data::Palette& palette() const { return palette_; }       // palette models
  const data::AbBins& bins() const { return bins_; }              // ab-bins models
  const data::AbDecoding& decoding() const { return decoding_; }  // ab-bins models: the default decoding
  const std::string& model_name() const { return model_name_; }
  // The shorter side the model learned its colours at, the working size that suits it: 32 for CIFAR-10 runs (and
  // models not read from a checkpoint), a photo run's --photo-side. `tint colourize` uses it unless --size is given.
  int training_side() const { return training_side_; }

 private:
  // Writes the image colourized by `prediction` into `out` ((3, H, W), float32 or uint8), strip by strip.
  void render(const torch::Tensor& image, const Prediction& prediction, const ColourizeOptions& options,
              torch::Tensor& out) const;
  void render_palette(const torch::Tensor& image, const Prediction& prediction, const ColourizeOptions& options,
                      torch::Tensor& out) const;
  void render_ab(const torch::Tensor& image, const Prediction& prediction, const ColourizeOptions& options,
                 torch::Tensor& out) const;

  models::ColourNet model_;
  bool predicts_ab_ = false;
  data::Palette palette_;
  data::AbBins bins_;
  data::AbDecoding decoding_;
  std::string model_name_;
  int training_side_ = 32;
};

// (C, H, W) uint8 -> (1, H, W) float in [0, 1]: the mean of R, G and B on the 8-bit display scale (/ 255), the
// intensity the predicted chroma is added to. The network's own input is data::to_network_input (the source's / 256).
torch::Tensor grey_of(const torch::Tensor& image);

// Rows [begin, end) of the bilinear resize (align_corners = false, as torch's interpolate) of `small` (C, h, w) to
// (C, H, W), computed from the rows of `small` they need.
torch::Tensor bilinear_rows(const torch::Tensor& small, int64_t H, int64_t W, int64_t begin, int64_t end);

// The guided filter's coefficients at the working size: chroma ~ a guide + b, a and b averaged over the windows.
struct GuidedCoefficients {
  torch::Tensor a, b;    // (C, h, w) float32: the mean a and mean b over the (2r + 1)^2 windows covering each pixel
  torch::Tensor lo, hi;  // (C, 1, 1) float32: the range of the chroma, which the output is clamped to
};
// guide: (1, h, w) or (1, 1, h, w) (the network's grey input); chroma: (C, h, w). The box filter averages the
// window's pixels inside the image (a window reaching past a border averages fewer pixels). Computed in double.
GuidedCoefficients guided_coefficients(const torch::Tensor& guide, const torch::Tensor& chroma, int radius, double eps);
// Rows [begin, end) of the guided upsampling to (C, H, W): clamp(bilinear_rows(a) * guide + bilinear_rows(b), lo, hi)
// with guide (1, end - begin, W) the full-resolution grey on the scale of the working-size guide.
torch::Tensor guided_rows(const GuidedCoefficients& coefficients, const torch::Tensor& guide, int64_t H, int64_t W,
                          int64_t begin, int64_t end);

// The network's input (data::to_network_input) of `image` (C, H, W) uint8, shrunk to (1, 1, h, w) by area averaging
// (h <= H, w <= W; as torch's interpolate in area mode), reading the image one output row's band at a time.
torch::Tensor shrunk_network_input(const torch::Tensor& image, int64_t h, int64_t w);

}  // namespace tint::colourize
