#include "tint/colourize/colourizer.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/preprocess.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint::colourize {
namespace F = torch::nn::functional;

namespace {

int64_t round_to_4(double v) { return std::max<int64_t>(4, static_cast<int64_t>(std::lround(v / 4.0)) * 4); }

torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w, bool nearest = false) {  // (N, C, H, W)
  if (x.size(2) == h && x.size(3) == w) return x;
  auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w});
  if (nearest) return F::interpolate(x, options.mode(torch::kNearest));
  // Area averaging when shrinking (no aliasing), bilinear when enlarging.
  if (h <= x.size(2) && w <= x.size(3)) return F::interpolate(x, options.mode(torch::kArea));
  return F::interpolate(x, options.mode(torch::kBilinear).align_corners(false));
}

}  // namespace

torch::Tensor grey_of(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "expected a (1|3, H, W) image");
  return image.to(torch::kFloat32).mean(0, /*keepdim=*/true).div_(255.0f);
}

Colourizer::Colourizer(models::ColourNet model, data::Palette palette)
    : model_(std::move(model)), palette_(std::move(palette)), model_name_(model_->name()) {
  model_->eval();
}

Colourizer Colourizer::from_checkpoint(const std::filesystem::path& checkpoint) {
  train::CheckpointReader reader(checkpoint);
  auto model = train::make_model(reader.meta().config);
  reader.restore_model(*model);
  return Colourizer(model, reader.meta().palette);
}

torch::Tensor Colourizer::colourize(const torch::Tensor& image, const ColourizeOptions& options) const {
  torch::InferenceMode guard;
  const int64_t h = image.size(1), w = image.size(2);
  auto grey = grey_of(image).unsqueeze(0);  // (1, 1, H, W), 8-bit scale
  int64_t wh, ww;
  if (options.working_side > 0) {
    const double scale = double(options.working_side) / double(std::min(h, w));
    wh = round_to_4(h * scale);
    ww = round_to_4(w * scale);
  } else {
    wh = round_to_4(double(h));
    ww = round_to_4(double(w));
  }
  // The network sees exactly what it was trained on (data::to_network_input); `grey` is the display intensity the
  // prediction's chroma is added to.
  auto input = resize(data::to_network_input(image.unsqueeze(0)), wh, ww);
  auto ids = model_->forward(input).argmax(1);  // (1, wh, ww)
  auto predicted = palette_.colourize(ids);     // (1, 3, wh, ww)
  if (options.raw) return resize(predicted, h, w, /*nearest=*/true)[0].contiguous();

  auto chroma = predicted - predicted.mean(1, /*keepdim=*/true);  // sums to zero over channels
  chroma = resize(chroma, h, w);                                   // (1, 3, H, W)
  chroma = chroma - chroma.mean(1, /*keepdim=*/true);              // interpolation keeps it, up to rounding
  // Largest s <= 1 with grey + s * chroma inside [0, 1] in every channel.
  const float inf = std::numeric_limits<float>::infinity();
  auto up = torch::where(chroma > 0, (1.0f - grey) / chroma, torch::full_like(chroma, inf));
  auto down = torch::where(chroma < 0, grey / (-chroma), torch::full_like(chroma, inf));
  auto s = torch::minimum(up, down).amin(1, /*keepdim=*/true).clamp_max(1.0f);
  return (grey + s * chroma).clamp(0.0f, 1.0f)[0].contiguous();
}

}  // namespace tint::colourize
