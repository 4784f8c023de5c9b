#include "tint/data/colour_metrics.h"

#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {

namespace {
constexpr double kMinMse = 1e-10;

void check_state_size(const std::vector<double>& state, size_t expected, const char* what) {
  if (state.size() != expected) {
    throw Error(fmt::format("{} state has {} values, expected {}", what, state.size(), expected));
  }
}

// (N, 3, H, W) uint8 or float in [0, 1] -> float64 in [0, 1]. A float image on the 0..255 scale is refused rather
// than scored 255^2 times too badly.
torch::Tensor unit_rgb(const torch::Tensor& rgb, const char* what) {
  TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, what, " expects (N, 3, H, W) RGB, got ", rgb.sizes());
  if (rgb.scalar_type() == torch::kUInt8) return rgb.to(torch::kFloat64) / 255.0;
  TORCH_CHECK(rgb.is_floating_point(), what, " expects uint8 or floating-point RGB, got ", rgb.scalar_type());
  auto x = rgb.detach().to(torch::kFloat64);
  if (x.numel() > 0) {
    const double lo = x.min().item<double>(), hi = x.max().item<double>();
    if (!(lo >= -1e-3 && hi <= 1.0 + 1e-3)) {
      throw Error(fmt::format("{}: float RGB must be in [0, 1], got values in [{}, {}]", what, lo, hi));
    }
  }
  return x;
}
}  // namespace

// ---- AuC ----------------------------------------------------------------------------------------------------------

void AbAucMeter::add(const torch::Tensor& pred_ab, const torch::Tensor& true_ab, const torch::Tensor& pixel_weights) {
  TORCH_CHECK(pred_ab.dim() == 4 && pred_ab.size(1) == 2 && pred_ab.sizes() == true_ab.sizes(),
              "AbAucMeter::add expects predicted and true ab of one shape (N, 2, H, W), got ", pred_ab.sizes(), " and ",
              true_ab.sizes());
  torch::NoGradGuard no_grad;
  auto error = (pred_ab.to(torch::kFloat64) - true_ab.to(torch::kFloat64)).pow(2).sum(1).sqrt().flatten();  // (P)
  if (!torch::isfinite(error).all().item<bool>()) throw Error("AbAucMeter::add: ab has NaN or infinite values");
  // A pixel with error e is within every threshold t >= ceil(e): histogram ceil(e), then a cumulative sum. Errors
  // beyond 150 land in the extra bin kThresholds, which no threshold reaches.
  auto first = error.ceil().clamp_max(kThresholds).to(torch::kInt64);
  auto add_curve = [&](std::vector<double>& into, const torch::Tensor& weights) {
    auto curve = torch::bincount(first, weights, kThresholds + 1).to(torch::kFloat64).cumsum(0);
    auto c = curve.accessor<double, 1>();
    for (int t = 0; t < kThresholds; ++t) into[t] += c[t];
  };
  add_curve(hits_, {});
  pixels_ += double(error.numel());
  if (pixel_weights.defined()) {
    TORCH_CHECK(pixel_weights.dim() == 3 && pixel_weights.size(0) == pred_ab.size(0) &&
                    pixel_weights.size(1) == pred_ab.size(2) && pixel_weights.size(2) == pred_ab.size(3),
                "AbAucMeter::add expects pixel weights (N, H, W) matching ab ", pred_ab.sizes(), ", got ",
                pixel_weights.sizes());
    auto w = pixel_weights.to(torch::kFloat64).flatten();
    if (!(w.numel() == 0 || (torch::isfinite(w).all().item<bool>() && w.min().item<double>() >= 0.0))) {
      throw Error("AbAucMeter::add: pixel weights must be finite and >= 0");
    }
    add_curve(weighted_hits_, w);
    weight_ += w.sum().item<double>();
    weighted_pixels_ += double(w.numel());
  }
}

AbAucMeter& AbAucMeter::operator+=(const AbAucMeter& other) {
  for (int t = 0; t < kThresholds; ++t) {
    hits_[t] += other.hits_[t];
    weighted_hits_[t] += other.weighted_hits_[t];
  }
  pixels_ += other.pixels_;
  weight_ += other.weight_;
  weighted_pixels_ += other.weighted_pixels_;
  return *this;
}

AbAucResult AbAucMeter::result() const {
  if (pixels_ <= 0) throw Error("AuC of the ab error: no pixels were added");
  AbAucResult r;
  auto mean_curve = [](const std::vector<double>& hits, double total, std::vector<double>& curve) {
    double sum = 0;
    for (double h : hits) {
      curve.push_back(h / total);
      sum += curve.back();
    }
    return sum / double(hits.size());
  };
  r.auc = mean_curve(hits_, pixels_, r.curve);
  if (weighted_pixels_ > 0) {
    if (weighted_pixels_ != pixels_) {
      throw Error(
          fmt::format("rebalanced AuC: {} of the {} pixels came with weights; give weights with every batch "
                      "or with none",
                      weighted_pixels_, pixels_));
    }
    if (!(weight_ > 0)) throw Error("rebalanced AuC: the pixel weights sum to 0");
    r.rebalanced_auc = mean_curve(weighted_hits_, weight_, r.rebalanced_curve);
  }
  return r;
}

std::vector<double> AbAucMeter::state() const {
  std::vector<double> s(hits_);
  s.push_back(pixels_);
  s.insert(s.end(), weighted_hits_.begin(), weighted_hits_.end());
  s.push_back(weight_);
  s.push_back(weighted_pixels_);
  return s;
}

AbAucMeter AbAucMeter::from_state(const std::vector<double>& state) {
  check_state_size(state, kStateSize, "AbAucMeter");
  AbAucMeter m;
  auto it = state.begin();
  m.hits_.assign(it, it + kThresholds);
  it += kThresholds;
  m.pixels_ = *it++;
  m.weighted_hits_.assign(it, it + kThresholds);
  it += kThresholds;
  m.weight_ = *it++;
  m.weighted_pixels_ = *it;
  return m;
}

// ---- PSNR ---------------------------------------------------------------------------------------------------------

namespace {
// Per image: (sum of squared errors, number of values), float64.
std::pair<torch::Tensor, int64_t> squared_errors(const torch::Tensor& pred, const torch::Tensor& truth) {
  TORCH_CHECK(pred.sizes() == truth.sizes(), "PSNR expects prediction and truth of one shape, got ", pred.sizes(),
              " and ", truth.sizes());
  auto diff = unit_rgb(pred, "PSNR (prediction)") - unit_rgb(truth, "PSNR (truth)");
  return {diff.pow(2).flatten(1).sum(1), diff[0].numel()};
}
}  // namespace

torch::Tensor psnr_per_image(const torch::Tensor& pred, const torch::Tensor& truth) {
  torch::NoGradGuard no_grad;
  auto [sse, values] = squared_errors(pred, truth);
  return -10.0 * torch::log10((sse / double(values)).clamp_min(kMinMse));
}

void PsnrMeter::add(const torch::Tensor& pred, const torch::Tensor& truth) {
  torch::NoGradGuard no_grad;
  auto [sse, values] = squared_errors(pred, truth);
  sum_db_ += (-10.0 * torch::log10((sse / double(values)).clamp_min(kMinMse))).sum().item<double>();
  images_ += double(sse.size(0));
  squared_error_ += sse.sum().item<double>();
  values_ += double(sse.size(0)) * double(values);
}

PsnrMeter& PsnrMeter::operator+=(const PsnrMeter& other) {
  sum_db_ += other.sum_db_;
  images_ += other.images_;
  squared_error_ += other.squared_error_;
  values_ += other.values_;
  return *this;
}

PsnrResult PsnrMeter::result() const {
  if (images_ <= 0) throw Error("PSNR: no images were added");
  PsnrResult r;
  r.mean_db = sum_db_ / images_;
  r.pooled_db = -10.0 * std::log10(std::max(squared_error_ / values_, kMinMse));
  r.images = int64_t(images_);
  return r;
}

std::vector<double> PsnrMeter::state() const { return {sum_db_, images_, squared_error_, values_}; }

PsnrMeter PsnrMeter::from_state(const std::vector<double>& state) {
  check_state_size(state, kStateSize, "PsnrMeter");
  PsnrMeter m;
  m.sum_db_ = state[0];
  m.images_ = state[1];
  m.squared_error_ = state[2];
  m.values_ = state[3];
  return m;
}

// ---- Colourfulness ------------------------------------------------------------------------------------------------

torch::Tensor colourfulness_per_image(const torch::Tensor& rgb) {
  torch::NoGradGuard no_grad;
  auto x = unit_rgb(rgb, "colourfulness") * 255.0;
  auto r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  auto rg = (r - g).flatten(1);              // (N, P)
  auto yb = (0.5 * (r + g) - b).flatten(1);  // (N, P)
  auto spread = (rg.var(1, /*unbiased=*/false) + yb.var(1, /*unbiased=*/false)).sqrt();
  auto offset = (rg.mean(1).pow(2) + yb.mean(1).pow(2)).sqrt();
  return spread + 0.3 * offset;
}

void ColourfulnessMeter::add(const torch::Tensor& rgb) {
  auto m = colourfulness_per_image(rgb);
  sum_ += m.sum().item<double>();
  images_ += double(m.size(0));
}

ColourfulnessMeter& ColourfulnessMeter::operator+=(const ColourfulnessMeter& other) {
  sum_ += other.sum_;
  images_ += other.images_;
  return *this;
}

double ColourfulnessMeter::result() const {
  if (images_ <= 0) throw Error("colourfulness: no images were added");
  return sum_ / images_;
}

std::vector<double> ColourfulnessMeter::state() const { return {sum_, images_}; }

ColourfulnessMeter ColourfulnessMeter::from_state(const std::vector<double>& state) {
  check_state_size(state, kStateSize, "ColourfulnessMeter");
  ColourfulnessMeter m;
  m.sum_ = state[0];
  m.images_ = state[1];
  return m;
}

}  // namespace tint::data
