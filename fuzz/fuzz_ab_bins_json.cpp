// libFuzzer harness: arbitrary bytes as ab_bins.json: nlohmann::json::parse, then tint::data::AbBins::from_json (what
// AbBins::load and a run's --resume, evaluate and colourize do). Input that is not JSON is skipped (the parser's own
// job); JSON that is not valid bins must end in tint::Error. Accepted bins must be what the constructor promises
// (at least 2 distinct centres on the grid, a prior > 0 summing to 1, a finite smoothed prior and finite rebalancing
// weights) and read back unchanged from what tint writes.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/data/ab_bins.h"

// The reader accepts a prior whose sum, added up in file order, is within 1e-6 of 1; LibTorch's sum adds in another
// order, so the check allows the few ulps by which the two sums differ (regressions/ab_bins_prior_sum_at_tolerance.json:
// 1 + 0.9999999993e-6 one way, just above 1 + 1e-6 the other).
constexpr double kSumTolerance = 1e-6 + 1e-12;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    auto bins = tint::data::AbBins::from_json(json, "fuzz.json");
    const auto& c = bins.centres();
    const auto& p = bins.prior();
    const double grid = bins.options().grid;
    if (bins.size() < 2 || c.size(1) != 2 || !torch::isfinite(c).all().item<bool>() ||
        !torch::equal(c, (c / grid).round() * grid) || p.min().item<double>() <= 0.0 ||
        std::abs(p.sum().item<double>() - 1.0) > kSumTolerance ||
        !torch::isfinite(bins.smoothed_prior()).all().item<bool>() ||
        !torch::isfinite(bins.rebalancing_weights(0.5)).all().item<bool>()) {
      __builtin_trap();
    }
    // Round trip: what tint writes, it reads back unchanged.
    auto again = tint::data::AbBins::from_json(bins.to_json(), "round-trip");
    if (!again.centres().equal(c) || !again.prior().equal(p) || !again.smoothed_prior().equal(bins.smoothed_prior())) {
      __builtin_trap();
    }
  } catch (const tint::Error&) {}
  return 0;
}
