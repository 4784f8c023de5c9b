// AbBins::fit: the bins that occur in a set of Lab images and their empirical prior (Zhang's p), counted block by
// block so that a whole training set fits in memory.
#include "tint/data/ab_bins.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/core.h>
#include <torch/torch.h>

#include "ab_bins_checks.h"
#include "tint/core/error.h"

namespace tint::data {

namespace {
constexpr int64_t kFitBlock = int64_t{1} << 20;  // pixels per block in fit()

void check_finite(const torch::Tensor& ab, const char* what) {
  if (!torch::isfinite(ab).all().item<bool>()) throw Error(fmt::format("{}: ab has NaN or infinite values", what));
}
}  // namespace

AbBins AbBins::fit(const torch::Tensor& lab, const AbBinsOptions& options) {
  TORCH_CHECK(lab.dim() == 4 && lab.size(1) == 3, "AbBins::fit expects Lab (N, 3, H, W), got ", lab.sizes());
  TORCH_CHECK(lab.is_floating_point(), "AbBins::fit expects floating-point Lab, got ", lab.scalar_type());
  if (auto why = ab_bins_checks::invalid_options(options); !why.empty()) throw Error("ab bins: " + why);
  torch::NoGradGuard no_grad;
  std::map<std::pair<int64_t, int64_t>, int64_t> counts;  // ordered by (a, b): the bins' canonical order
  const int64_t per_image = std::max<int64_t>(1, lab.size(2) * lab.size(3));
  const int64_t block = std::max<int64_t>(1, kFitBlock / per_image);
  for (int64_t start = 0; start < lab.size(0); start += block) {
    auto ab = lab.slice(0, start, std::min(lab.size(0), start + block)).slice(1, 1, 3).to(torch::kFloat64);
    check_finite(ab, "AbBins::fit");
    const double largest = ab.abs().max().item<double>();
    if (largest > ab_bins_checks::kMaxAb) {
      throw Error(fmt::format("AbBins::fit: |a| or |b| reaches {}, expected Lab values (|a|, |b| <= {})", largest,
                              ab_bins_checks::kMaxAb));
    }
    auto cell = torch::round(ab / options.grid).to(torch::kInt64);  // (n, 2, H, W)
    const int64_t lo = cell.min().item<int64_t>();
    const int64_t span = cell.max().item<int64_t>() - lo + 1;
    auto code = ((cell.select(1, 0) - lo) * span + (cell.select(1, 1) - lo)).flatten();
    auto histogram = torch::bincount(code, {}, span * span);
    auto present = histogram.nonzero().squeeze(1);
    auto present_a = present.accessor<int64_t, 1>();
    auto h = histogram.accessor<int64_t, 1>();
    for (int64_t i = 0; i < present.size(0); ++i) {
      const int64_t c = present_a[i];
      counts[{lo + c / span, lo + c % span}] += h[c];
    }
  }
  if (counts.size() < 2) {
    throw Error(fmt::format("AbBins::fit: the images cover {} ab bin(s) of the grid of {}, need at least 2",
                            counts.size(), options.grid));
  }
  auto centres = torch::empty({int64_t(counts.size()), 2}, torch::kFloat64);
  auto prior = torch::empty({int64_t(counts.size())}, torch::kFloat64);
  int64_t total = 0;
  for (const auto& entry : counts) total += entry.second;
  int64_t q = 0;
  for (const auto& [cell, count] : counts) {
    centres[q][0] = double(cell.first) * options.grid;
    centres[q][1] = double(cell.second) * options.grid;
    prior[q] = double(count) / double(total);
    ++q;
  }
  return AbBins(centres, prior, options, total);
}

}  // namespace tint::data
