// A set of ab bins (see tint/data/ab_bins.h): its validity, the smoothed prior and the class-rebalancing weights.
// Fitting is in ab_bins_fit.cpp, ab -> bins in ab_bins_encode.cpp, bins -> ab in ab_decoding.cpp, the file format in
// ab_bins_json.cpp.
#include "tint/data/ab_bins.h"

#include <cmath>
#include <map>
#include <utility>

#include <fmt/core.h>
#include <torch/torch.h>

#include "ab_bins_checks.h"
#include "tint/core/error.h"

namespace tint::data {

namespace ab_bins_checks {

std::string invalid_options(const AbBinsOptions& options) {
  if (!(options.grid >= kMinGrid && options.grid <= kMaxGrid)) {
    return fmt::format("grid {} outside {}..{}", options.grid, kMinGrid, kMaxGrid);
  }
  if (!(options.prior_sigma >= 0.0 && std::isfinite(options.prior_sigma))) {
    return fmt::format("prior sigma {} is not a finite number >= 0", options.prior_sigma);
  }
  return "";
}

std::string invalid_reason(const torch::Tensor& centres, const torch::Tensor& prior, const AbBinsOptions& options) {
  if (auto why = invalid_options(options); !why.empty()) return why;
  if (!centres.defined() || centres.dim() != 2 || centres.size(1) != 2) return "centres must be (Q, 2)";
  const int64_t q = centres.size(0);
  if (q < 2 || q > kMaxBins) return fmt::format("{} bins, expected 2..{}", q, kMaxBins);
  if (!prior.defined() || prior.dim() != 1 || prior.size(0) != q) {
    return fmt::format("the prior must have one entry per bin ({})", q);
  }
  auto c = centres.to(torch::kFloat64);
  auto p = prior.to(torch::kFloat64);
  auto ca = c.accessor<double, 2>();
  auto pa = p.accessor<double, 1>();
  std::map<std::pair<int64_t, int64_t>, int64_t> seen;
  double sum = 0;
  for (int64_t i = 0; i < q; ++i) {
    for (int k = 0; k < 2; ++k) {
      const double v = ca[i][k];
      if (!(std::abs(v) <= kMaxAb))
        return fmt::format("centre {} has component {}, expected |a|, |b| <= {}", i, v, kMaxAb);
      if (std::abs(v / options.grid - std::round(v / options.grid)) > 1e-6) {
        return fmt::format("centre {} ({}, {}) is not on the grid of {}", i, ca[i][0], ca[i][1], options.grid);
      }
    }
    const std::pair<int64_t, int64_t> cell{std::llround(ca[i][0] / options.grid),
                                           std::llround(ca[i][1] / options.grid)};
    auto [it, fresh] = seen.emplace(cell, i);
    if (!fresh) return fmt::format("centres {} and {} are the same bin ({}, {})", it->second, i, ca[i][0], ca[i][1]);
    if (!(pa[i] > 0.0 && pa[i] <= 1.0)) return fmt::format("prior of bin {} is {}, expected in (0, 1]", i, pa[i]);
    sum += pa[i];
  }
  if (std::abs(sum - 1.0) > 1e-6) return fmt::format("the prior sums to {}, expected 1", sum);
  return "";
}

}  // namespace ab_bins_checks

namespace {

// The prior convolved with a Gaussian over the kept bins and renormalised (Zhang's p~; see smoothed_prior()).
torch::Tensor smooth(const torch::Tensor& centres, const torch::Tensor& prior, double sigma) {
  if (sigma == 0.0) return prior.clone();
  auto c = centres.to(torch::kFloat64);
  auto kernel = torch::exp(-torch::cdist(c, c).pow(2) / (2 * sigma * sigma));  // (Q, Q), symmetric
  auto smoothed = torch::mv(kernel, prior);
  return smoothed / smoothed.sum();
}

}  // namespace

AbBins::AbBins(torch::Tensor centres, torch::Tensor prior, AbBinsOptions options, int64_t pixels)
    : options_(options), pixels_(pixels) {
  const std::string why = ab_bins_checks::invalid_reason(centres, prior, options);
  if (!why.empty()) throw Error("invalid ab bins: " + why);
  if (pixels < 0) throw Error(fmt::format("invalid ab bins: pixel count {} < 0", pixels));
  centres_ = centres.to(torch::kFloat32).contiguous();
  prior_ = prior.to(torch::kFloat64).contiguous();
  // Zhang smooths the empirical distribution with a Gaussian (sigma 5) before rebalancing: bins seen in only a few
  // pixels would otherwise get huge weights from noise in their counts.
  smoothed_prior_ = smooth(centres_, prior_, options_.prior_sigma);
}

torch::Tensor AbBins::rebalancing_weights(double lambda) const {
  if (!(lambda >= 0.0 && lambda <= 1.0)) {
    throw Error(fmt::format("rebalancing lambda {} outside [0, 1] (0 = off, 1 = inverse prior)", lambda));
  }
  TORCH_CHECK(size() > 0, "AbBins::rebalancing_weights on empty bins");
  auto w = 1.0 / (lambda * smoothed_prior_ + (1.0 - lambda) / double(size()));
  return (w / (smoothed_prior_ * w).sum()).to(torch::kFloat32);
}

torch::Tensor AbBins::pixel_weights(const torch::Tensor& ids, double lambda) const {
  TORCH_CHECK(ids.dim() == 3 && ids.scalar_type() == torch::kInt64,
              "AbBins::pixel_weights expects (N, H, W) int64, got ", ids.sizes(), " ", ids.scalar_type());
  return rebalancing_weights(lambda).index_select(0, ids.flatten()).view(ids.sizes());
}

}  // namespace tint::data
