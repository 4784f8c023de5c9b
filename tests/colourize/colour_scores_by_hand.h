// Colour scores computed the slow, obvious way in double, pixel by pixel, for the evaluation tests to compare with:
// Zhang's AuC (every pixel's ab error thresholded one by one), PSNR and Hasler-Suesstrunk colourfulness from their
// formulas, the grey photo by hand.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "tint/data/lab.h"

namespace tint::colourize {

// A pixel with ab error e is within every threshold t >= e, the first being ceil(e): first[k] counts the pixels whose
// first threshold is k (plain and weighted), and the fraction within t is the running sum up to t.
struct Curve {
  std::vector<double> first = std::vector<double>(151, 0.0), weighted = std::vector<double>(151, 0.0);
  double pixels = 0, weight = 0;
  double auc() const { return mean(first, pixels); }
  double rebalanced() const { return mean(weighted, weight); }
  static double mean(const std::vector<double>& counts, double total) {
    double within = 0, sum = 0;
    for (int t = 0; t <= 150; ++t) {
      within += counts[t];
      sum += within / total;
    }
    return 100.0 * sum / 151.0;
  }
};

inline void add_pixels(Curve& curve, const torch::Tensor& out_bytes, const torch::Tensor& true_lab,
                       const torch::Tensor& w) {
  const auto pred = data::rgb_to_lab(out_bytes.unsqueeze(0)).to(torch::kFloat64).contiguous();
  const auto truth = true_lab.to(torch::kFloat64).contiguous();
  const auto weights = w.to(torch::kFloat64).contiguous();
  const int64_t n = pred.size(2) * pred.size(3);
  const double* p = pred.data_ptr<double>();
  const double* t = truth.data_ptr<double>();
  const double* wp = weights.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::hypot(p[n + i] - t[n + i], p[2 * n + i] - t[2 * n + i]);
    const double k = std::ceil(e);
    if (k <= 150) curve.first[size_t(k)] += 1, curve.weighted[size_t(k)] += wp[i];
    curve.pixels += 1;
    curve.weight += wp[i];
  }
}

inline double psnr(const torch::Tensor& out, const torch::Tensor& truth) {
  const auto d = out.to(torch::kFloat64).div(255.0) - truth.to(torch::kFloat64).div(255.0);
  return 10.0 * std::log10(1.0 / d.pow(2).mean().item<double>());
}

inline double colourfulness(const torch::Tensor& rgb) {
  const auto x = rgb.to(torch::kFloat64);
  const auto rg = x[0] - x[1], yb = (x[0] + x[1]) / 2 - x[2];
  const auto sd = [](const torch::Tensor& v) { return (v - v.mean()).pow(2).mean().item<double>(); };
  return std::sqrt(sd(rg) + sd(yb)) +
         0.3 * std::sqrt(std::pow(rg.mean().item<double>(), 2) + std::pow(yb.mean().item<double>(), 2));
}

// The grey photo by hand: round((R + G + B) / 3) in every channel.
inline torch::Tensor grey_by_hand(const torch::Tensor& photo) {
  return photo.to(torch::kFloat64).sum(0).div(3.0).round().to(torch::kUInt8).expand({3, -1, -1});
}

}  // namespace tint::colourize
