// The optimal learning rate for one step of gradient descent (question 2.2.3). On the unregularized loss
// L(w) = (1/n)||Xw - t||^2, one step w1 = w0 - eta (2/n) X^T a with a = X w0 - t gives
//   L1(eta) = (1/n) ||a - eta (2/n) X X^T a||^2,
// a convex quadratic in eta minimized at eta* = n ||X^T a||^2 / (2 ||X X^T a||^2). one_step_optimum checks that
// formula two independent ways: a grid search on L1 itself (evaluated by taking the step), refined by the vertex of
// the parabola through the best grid point and its neighbours (exact for a quadratic, up to rounding), and the zero
// of the hypergradient dL1/deta from reverse-mode autograd, found by bisection.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace tint::optim {

struct OneStepPoint {
  double eta = 0.0;
  double loss = 0.0;           // L1(eta)
  double hypergradient = 0.0;  // dL1/deta, reverse mode
};

struct OneStepResult {
  double eta_closed_form = 0.0;  // n ||X^T a||^2 / (2 ||X X^T a||^2)
  double bracket = 0.0;          // grid and bisection search [0, bracket], found by doubling until L1 > L1(0)
  double eta_grid = 0.0;         // best grid point
  double grid_spacing = 0.0;
  double eta_parabola = 0.0;               // vertex of the parabola through the best grid point and its two neighbours
  double eta_zero = 0.0;                   // the zero of dL1/deta by bisection
  double loss_at_zero_eta = 0.0;           // L1(0) = L(w0)
  double loss_at_closed_form = 0.0;        // L1(eta*)
  double hypergradient_at_zero_eta = 0.0;  // dL1/deta at eta = 0, the scale of the hypergradient
  double hypergradient_at_closed_form = 0.0;  // dL1/deta at eta*, ~0
  std::vector<OneStepPoint> curve;            // the grid, for the plot
};

// X (n, d), t (n), w0 (d), float64. Throws tint::Error when X^T a = 0 (w0 is already a minimizer: every eta is
// optimal) or grid_points < 3.
OneStepResult one_step_optimum(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0,
                               int64_t grid_points = 201);

// The closed form alone.
double one_step_closed_form(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0);

}  // namespace tint::optim
