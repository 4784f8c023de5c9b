#include "tint/colourize/colourizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/models/model_table.h"
#include "tint/ops/lab_render.h"
#include "tint/report/image_grid.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint::colourize {
namespace F = torch::nn::functional;

namespace {

// The nearest multiple of m (the network's size_multiple), at least m.
int64_t round_to_multiple(double v, int m) {
  return std::max<int64_t>(m, static_cast<int64_t>(std::lround(v / m)) * m);
}

// Enlarging a small image to the working size: bilinear.
torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w) {  // (N, C, H, W)
  if (x.size(2) == h && x.size(3) == w) return x;
  auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w});
  return F::interpolate(x, options.mode(torch::kBilinear).align_corners(false));
}

// Source indices and weights of bilinear resizing from `in` to `out` samples (align_corners = false), for output
// samples [begin, end): out[j] = (1 - weight) in[first] + weight in[second].
struct LinearTaps {
  torch::Tensor first, second, weight;
};
LinearTaps linear_taps(int64_t in, int64_t out, int64_t begin, int64_t end) {
  auto source = ((torch::arange(begin, end, torch::kFloat64) + 0.5) * (double(in) / double(out)) - 0.5).clamp_min(0.0);
  auto first = source.floor().to(torch::kInt64).clamp_max(in - 1);
  auto second = (first + 1).clamp_max(in - 1);
  return {first, second, (source - first.to(torch::kFloat64)).clamp(0.0, 1.0).to(torch::kFloat32)};
}

// Source indices of nearest resizing, as torch's interpolate in nearest mode: floor(j * in / out) in float.
torch::Tensor nearest_taps(int64_t in, int64_t out, int64_t begin, int64_t end) {
  const float scale = float(in) / float(out);
  return (torch::arange(begin, end, torch::kFloat32) * scale).floor().to(torch::kInt64).clamp_max(in - 1);
}

// Writes `out` ((3, H, W)) in strips of whole rows: with options.raw, the network's own picture `raw` ((3, wh, ww))
// upsampled by nearest taps; otherwise full_resolution(begin, end), the strip's rows recombined at full resolution
// ((3, end - begin, W) float in [0, 1]). Strips keep full-resolution work to a few megabytes whatever the image.
template <class FullResolution>
void write_strips(const torch::Tensor& raw, int64_t h, int64_t w, const ColourizeOptions& options, torch::Tensor& out,
                  FullResolution full_resolution) {
  const int64_t rows = std::max<int64_t>(1, options.strip_pixels / w);
  for (int64_t begin = 0; begin < h; begin += rows) {
    const int64_t end = std::min(h, begin + rows);
    const auto strip = options.raw ? raw.index_select(1, nearest_taps(raw.size(1), h, begin, end))
                                         .index_select(2, nearest_taps(raw.size(2), w, 0, w))
                                   : full_resolution(begin, end);
    out.slice(1, begin, end).copy_(out.scalar_type() == torch::kUInt8 ? data::to_bytes(strip) : strip);
  }
}

// The predicted chroma `small` ((C, wh, ww)) brought to full resolution strip by strip, bilinearly or guided by the
// grey (the guided coefficients are fitted once, at the working size, against the network's grey input). At the
// image's own size there is nothing to upsample: the prediction is taken as it is, bilinear taps being the identity.
class ChromaUpsampler {
 public:
  ChromaUpsampler(const torch::Tensor& small, const torch::Tensor& input, const ColourizeOptions& options, int64_t H,
                  int64_t W)
      : small_(small),
        guided_(options.upsample == Upsample::guided && !options.raw && (small.size(1) != H || small.size(2) != W)) {
    if (guided_) coefficients_ = guided_coefficients(input, small, options.guide_radius, options.guide_eps);
  }
  bool guided() const { return guided_; }
  // grey: the strip's full-resolution grey_of (8-bit scale), needed when guided().
  torch::Tensor rows(const torch::Tensor& grey, int64_t H, int64_t W, int64_t begin, int64_t end) const {
    if (!guided_) return bilinear_rows(small_, H, W, begin, end);
    // The network's input is the source's mean over 256, grey_of's over 255: the guide on the input's scale.
    return guided_rows(coefficients_, grey * (255.0f / 256.0f), H, W, begin, end);
  }

 private:
  torch::Tensor small_;
  bool guided_;
  GuidedCoefficients coefficients_;
};

// The mean over the (2r + 1)^2 window around each pixel, of the pixels inside the image. x: (N, C, h, w).
torch::Tensor box_mean(const torch::Tensor& x, int radius) {
  if (radius == 0) return x;
  auto options = F::AvgPool2dFuncOptions(2 * radius + 1).stride(1).padding(radius).count_include_pad(false);
  return F::avg_pool2d(x, options);
}
}  // namespace

const std::vector<std::pair<Upsample, std::string>>& upsample_names() {
  static const std::vector<std::pair<Upsample, std::string>> names{{Upsample::bilinear, "bilinear"},
                                                                   {Upsample::guided, "guided"}};
  return names;
}

GuidedCoefficients guided_coefficients(const torch::Tensor& guide, const torch::Tensor& chroma, int radius,
                                       double eps) {
  TORCH_CHECK(chroma.dim() == 3 && guide.numel() == chroma.size(1) * chroma.size(2),
              "guided_coefficients: a (1, h, w) guide and a (C, h, w) chroma");
  TORCH_CHECK(radius >= 0 && eps > 0.0, "guided_coefficients: radius >= 0 and eps > 0");
  const int64_t h = chroma.size(1), w = chroma.size(2);
  const auto I = guide.reshape({1, 1, h, w}).to(torch::kFloat64);
  const auto p = chroma.unsqueeze(0).to(torch::kFloat64);  // (1, C, h, w)
  const auto mean_I = box_mean(I, radius), mean_p = box_mean(p, radius);
  const auto var_I = box_mean(I * I, radius) - mean_I * mean_I;
  const auto cov_Ip = box_mean(I * p, radius) - mean_I * mean_p;
  const auto a = cov_Ip / (var_I + eps);
  const auto b = mean_p - a * mean_I;
  const auto flat = chroma.reshape({chroma.size(0), -1});
  return {box_mean(a, radius)[0].to(torch::kFloat32), box_mean(b, radius)[0].to(torch::kFloat32),
          std::get<0>(flat.min(1)).view({-1, 1, 1}).to(torch::kFloat32),
          std::get<0>(flat.max(1)).view({-1, 1, 1}).to(torch::kFloat32)};
}

torch::Tensor guided_rows(const GuidedCoefficients& coefficients, const torch::Tensor& guide, int64_t H, int64_t W,
                          int64_t begin, int64_t end) {
  TORCH_CHECK(guide.dim() == 3 && guide.size(0) == 1 && guide.size(1) == end - begin && guide.size(2) == W,
              "guided_rows: the guide is the strip's (1, end - begin, W) grey");
  const auto a = bilinear_rows(coefficients.a, H, W, begin, end);
  const auto b = bilinear_rows(coefficients.b, H, W, begin, end);
  return torch::clamp(a * guide + b, coefficients.lo, coefficients.hi);
}

torch::Tensor grey_of(const torch::Tensor& image) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), "expected a (1|3, H, W) image");
  return image.to(torch::kFloat32).mean(0, /*keepdim=*/true).div_(255.0f);
}

Colourizer::Colourizer(models::ColourNet model, data::Palette palette)
    : model_(std::move(model)), palette_(std::move(palette)), model_name_(model_->name()) {
  model_->eval();
}

Colourizer::Colourizer(models::ColourNet model, data::AbBins bins, data::AbDecoding decoding)
    : model_(std::move(model)),
      predicts_ab_(true),
      bins_(std::move(bins)),
      decoding_(decoding),
      model_name_(model_->name()) {
  if (bins_.size() < 2) throw Error("an ab-bins colourizer needs fitted bins");
  model_->eval();
}

Colourizer Colourizer::from_checkpoint(const std::filesystem::path& checkpoint) {
  train::CheckpointReader reader(checkpoint);
  const auto& meta = reader.meta();
  auto colourizer = meta.config.target == train::ColourTarget::ab_bins
                        ? Colourizer(train::load_model(reader), meta.bins, train::ab_decoding(meta.config))
                        : Colourizer(train::load_model(reader), meta.palette);
  // CIFAR-10 runs learned colours on 32-pixel thumbnails; photo runs at their --photo-side.
  colourizer.training_side_ = meta.config.images_dir.empty() ? 32 : meta.config.photo_side;
  return colourizer;
}

torch::Tensor Colourizer::colourize(const torch::Tensor& image, const ColourizeOptions& options) const {
  auto out = torch::empty({3, image.size(1), image.size(2)}, torch::kFloat32);
  render(image, predict(image, options), options, out);
  return out;
}

torch::Tensor Colourizer::colourize_bytes(const torch::Tensor& image, const ColourizeOptions& options) const {
  return colourize_bytes(image, predict(image, options), options);
}

torch::Tensor Colourizer::colourize_bytes(const torch::Tensor& image, const Prediction& prediction,
                                          const ColourizeOptions& options) const {
  auto out = torch::empty({3, image.size(1), image.size(2)}, torch::kUInt8);
  render(image, prediction, options, out);
  return out;
}

torch::Tensor Colourizer::picture(const torch::Tensor& image, const ColourizeOptions& options) const {
  if (!options.side_by_side) return colourize_bytes(image, options);  // a quarter of the float's memory
  const auto grey = grey_of(image).unsqueeze(0);
  const auto colour = colourize(image, options).unsqueeze(0);
  return report::make_grid({torch::cat({grey.expand({1, 3, -1, -1}), colour})}, 0, 1);
}

Prediction Colourizer::predict(const torch::Tensor& image, const ColourizeOptions& options) const {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) && image.scalar_type() == torch::kUInt8,
              "colourize expects a (1|3, H, W) uint8 image, got ", image.sizes(), " ", image.scalar_type());
  if (!predicts_ab_ && options.decoding) {
    throw Error(fmt::format(
        "--decode and --temperature apply to ab-bins models; this {} model predicts palette colours", model_name_));
  }
  torch::InferenceMode guard;
  const int64_t h = image.size(1), w = image.size(2);
  const int multiple = model_->size_multiple();
  int64_t wh, ww;
  if (options.working_side > 0) {
    const double scale = double(options.working_side) / double(std::min(h, w));
    wh = round_to_multiple(h * scale, multiple);
    ww = round_to_multiple(w * scale, multiple);
  } else {
    wh = round_to_multiple(double(h), multiple);
    ww = round_to_multiple(double(w), multiple);
  }
  // The network sees exactly what it was trained on (data::to_network_input); the display intensity the prediction's
  // chroma is added to is grey_of, strip by strip in render.
  auto input = wh <= h && ww <= w ? shrunk_network_input(image, wh, ww)
                                  : resize(data::to_network_input(image.unsqueeze(0)), wh, ww);
  const auto logits = model_->forward(input);
  if (predicts_ab_) return {input, bins_.decode(logits, options.decoding.value_or(decoding_))[0]};  // (2, wh, ww)
  return {input, palette_.colourize(logits.argmax(1))[0]};                                          // (3, wh, ww)
}

void Colourizer::render(const torch::Tensor& image, const Prediction& prediction, const ColourizeOptions& options,
                        torch::Tensor& out) const {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) && image.scalar_type() == torch::kUInt8,
              "colourize expects a (1|3, H, W) uint8 image, got ", image.sizes(), " ", image.scalar_type());
  TORCH_CHECK(prediction.colour.dim() == 3 && prediction.colour.size(0) == (predicts_ab_ ? 2 : 3),
              "a prediction of another kind of colourizer");
  torch::InferenceMode guard;
  if (predicts_ab_) return render_ab(image, prediction, options, out);
  render_palette(image, prediction, options, out);
}

void Colourizer::render_palette(const torch::Tensor& image, const Prediction& prediction,
                                const ColourizeOptions& options, torch::Tensor& out) const {
  const int64_t h = image.size(1), w = image.size(2);
  const auto& predicted = prediction.colour;                                  // (3, wh, ww)
  const auto chroma_small = predicted - predicted.mean(0, /*keepdim=*/true);  // sums to zero over channels
  const float inf = std::numeric_limits<float>::infinity();
  const ChromaUpsampler upsampler(chroma_small, prediction.input, options, h, w);
  write_strips(predicted, h, w, options, out, [&](int64_t begin, int64_t end) {
    auto grey = grey_of(image.slice(1, begin, end));  // (1, n, W), 8-bit scale
    auto chroma = upsampler.rows(grey, h, w, begin, end);
    chroma = chroma - chroma.mean(0, /*keepdim=*/true);  // interpolation keeps the zero sum, up to rounding
    // Largest s <= 1 with grey + s * chroma inside [0, 1] in every channel.
    auto up = torch::where(chroma > 0, (1.0f - grey) / chroma, torch::full_like(chroma, inf));
    auto down = torch::where(chroma < 0, grey / (-chroma), torch::full_like(chroma, inf));
    auto s = torch::minimum(up, down).amin(0, /*keepdim=*/true).clamp_max(1.0f);
    return (grey + s * chroma).clamp(0.0f, 1.0f);
  });
}

void Colourizer::render_ab(const torch::Tensor& image, const Prediction& prediction, const ColourizeOptions& options,
                           torch::Tensor& out) const {
  const int64_t h = image.size(1), w = image.size(2);
  const auto& input = prediction.input;
  const int64_t wh = input.size(2), ww = input.size(3);
  const auto& ab_small = prediction.colour;  // (2, wh, ww)
  if (options.raw) {
    // The lightness of the network's own grey input, read as the 8-bit grey it stands for (g * 256 / 255).
    auto grey = (input * (256.0f / 255.0f)).clamp(0.0f, 1.0f).expand({1, 3, wh, ww});
    const auto predicted = data::recombine(data::rgb_to_lab(grey).slice(1, 0, 1), ab_small.unsqueeze(0))[0];
    // Raw output only enlarges `predicted` (nearest taps): write_strips asks for no full-resolution rows.
    write_strips(predicted, h, w, options, out, [](int64_t, int64_t) { return torch::Tensor(); });
    return;
  }
  // The full-resolution work in one float32 pass per pixel (ops/lab_render.h): the upsampled ab, the pixel's own L
  // and the recombination, without LibTorch's float64 temporaries (217 ms of CPU per 720p frame, now 12). Guided
  // where the chroma is enlarged, as ChromaUpsampler decides; at the image's own size the bilinear taps take the
  // prediction as it is. The pass keeps only a few rows per thread, so it needs no strips.
  ops::WorkingChroma chroma;
  if (options.upsample == Upsample::guided && (wh != h || ww != w)) {
    const auto coefficients = guided_coefficients(input, ab_small, options.guide_radius, options.guide_eps);
    chroma.a = coefficients.a;
    chroma.b = coefficients.b;
    for (int c = 0; c < 2; ++c) {
      chroma.lo[c] = coefficients.lo[c].item<float>();
      chroma.hi[c] = coefficients.hi[c].item<float>();
    }
  } else {
    chroma.a = ab_small;
  }
  ops::render_lab(image, chroma, out);
}

torch::Tensor bilinear_rows(const torch::Tensor& small, int64_t H, int64_t W, int64_t begin, int64_t end) {
  TORCH_CHECK(small.dim() == 3 && 0 <= begin && begin <= end && end <= H, "bilinear_rows: bad arguments");
  const auto rows = linear_taps(small.size(1), H, begin, end);
  const auto cols = linear_taps(small.size(2), W, 0, W);
  auto r = small.index_select(1, rows.first) * (1.0f - rows.weight).view({1, -1, 1}) +
           small.index_select(1, rows.second) * rows.weight.view({1, -1, 1});  // (C, n, w)
  return r.index_select(2, cols.first) * (1.0f - cols.weight) + r.index_select(2, cols.second) * cols.weight;
}

torch::Tensor shrunk_network_input(const torch::Tensor& image, int64_t h, int64_t w) {
  TORCH_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3) && image.scalar_type() == torch::kUInt8,
              "shrunk_network_input expects a (1|3, H, W) uint8 image, got ", image.sizes(), " ", image.scalar_type());
  const int64_t C = image.size(0), H = image.size(1), W = image.size(2);
  TORCH_CHECK(0 < h && h <= H && 0 < w && w <= W, "shrunk_network_input only shrinks");
  // Integer sums of the bytes over each output pixel's window, one division at the end: the mean of the channels'
  // value / 256 (data::to_network_input) averaged over the window, as adaptive average pooling does, to within a
  // float's rounding. It reads each byte once; LibTorch's float copies of the bands were a full-frame pass or three.
  const auto pixels = image.contiguous();
  const uint8_t* source = pixels.data_ptr<uint8_t>();
  auto out = torch::empty({1, 1, h, w}, torch::kFloat);
  float* target = out.data_ptr<float>();
  at::parallel_for(0, h, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint64_t> column(static_cast<size_t>(W));
    for (int64_t i = begin; i < end; ++i) {
      // Output row i averages input rows [floor(i H / h), ceil((i + 1) H / h)), as adaptive average pooling does;
      // the same for columns.
      const int64_t first = i * H / h, last = ((i + 1) * H + h - 1) / h;
      std::fill(column.begin(), column.end(), 0);
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t y = first; y < last; ++y) {
          const uint8_t* row = source + (c * H + y) * W;
          for (int64_t x = 0; x < W; ++x) column[static_cast<size_t>(x)] += row[x];
        }
      }
      for (int64_t j = 0; j < w; ++j) {
        const int64_t left = j * W / w, right = ((j + 1) * W + w - 1) / w;
        uint64_t total = 0;
        for (int64_t x = left; x < right; ++x) total += column[static_cast<size_t>(x)];
        const double count = double(C * (last - first) * (right - left));
        target[i * w + j] = static_cast<float>(double(total) / (count * 256.0));
      }
    }
  });
  return out;
}

}  // namespace tint::colourize
