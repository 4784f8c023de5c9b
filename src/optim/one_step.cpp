// The one-step optimal learning rate, in closed form and numerically (see one_step.h).
#include "tint/optim/one_step.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/optim/hypergradient.h"

namespace tint::optim {

double one_step_closed_form(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0) {
  torch::NoGradGuard no_grad;
  auto a = torch::mv(X, w0) - t;   // (n)
  auto xta = torch::mv(X.t(), a);  // (d) X^T a
  auto xxta = torch::mv(X, xta);   // (n) X X^T a
  const double num = torch::dot(xta, xta).item<double>();
  const double den = torch::dot(xxta, xxta).item<double>();
  if (!(num > 0.0) || !(den > 0.0)) {
    throw Error("the one-step optimum is undefined: X^T (X w0 - t) = 0, so w0 already minimizes the loss");
  }
  return static_cast<double>(X.size(0)) * num / (2.0 * den);
}

OneStepResult one_step_optimum(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0,
                               int64_t grid_points) {
  if (grid_points < 3) throw Error(fmt::format("--grid-points must be at least 3, got {}", grid_points));
  OneStepResult r;
  r.eta_closed_form = one_step_closed_form(X, t, w0);
  // One unregularized step; the objective is the training loss itself.
  const Unrolled one{X, t, w0, /*steps=*/1};
  auto loss = [&](double eta) { return unrolled_loss(one, eta, /*lambda=*/0.0); };
  auto slope = [&](double eta) { return reverse_hypergradient(one, eta, /*lambda=*/0.0).d_eta; };
  r.loss_at_zero_eta = loss(0.0);
  r.hypergradient_at_zero_eta = slope(0.0);

  // Bracket by doubling: L1 falls first (slope < 0 at 0), so once L1(b) > L1(0) the minimum lies inside (0, b).
  double b = 1e-8;
  for (int i = 0; i < 200 && !(loss(b) > r.loss_at_zero_eta); ++i) b *= 2.0;
  if (!(loss(b) > r.loss_at_zero_eta)) throw Error("the one-step loss does not rise again: no minimum to bracket");
  r.bracket = b;

  // Grid search over [0, b], then the parabola through the best point and its neighbours.
  r.grid_spacing = b / static_cast<double>(grid_points - 1);
  int64_t best = 0;
  for (int64_t i = 0; i < grid_points; ++i) {
    const double eta = static_cast<double>(i) * r.grid_spacing;
    r.curve.push_back({eta, loss(eta), slope(eta)});
    if (r.curve[i].loss < r.curve[best].loss) best = i;
  }
  best = std::clamp<int64_t>(best, 1, grid_points - 2);
  r.eta_grid = r.curve[best].eta;
  const double lm = r.curve[best - 1].loss, l0 = r.curve[best].loss, lp = r.curve[best + 1].loss;
  r.eta_parabola = r.eta_grid + r.grid_spacing * (lm - lp) / (2.0 * (lm - 2.0 * l0 + lp));

  // Bisection on the sign of the hypergradient, to the resolution of doubles.
  double lo = 0.0, hi = b;
  for (int i = 0; i < 200 && hi - lo > 4.0 * std::numeric_limits<double>::epsilon() * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (slope(mid) < 0.0 ? lo : hi) = mid;
  }
  r.eta_zero = 0.5 * (lo + hi);
  r.loss_at_closed_form = loss(r.eta_closed_form);
  r.hypergradient_at_closed_form = slope(r.eta_closed_form);
  return r;
}

}  // namespace tint::optim
