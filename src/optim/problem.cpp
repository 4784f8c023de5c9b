// Seeded regression problems and the linear algebra of the minimum-norm solution (see problem.h).
#include "tint/optim/problem.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::optim {
namespace {

// Below this ratio of smallest to largest singular value X is treated as rank deficient: the minimum-norm solution
// would then amplify rounding by more than 1e12.
constexpr double kRankTolerance = 1e-12;

void check_full_row_rank(const torch::Tensor& X) {
  TORCH_CHECK(X.dim() == 2 && X.scalar_type() == torch::kFloat64, "expected X as (n, d) float64, got ", X.sizes(), " ",
              X.scalar_type());
  if (X.size(0) > X.size(1)) {
    throw Error(
        fmt::format("the minimum-norm solution needs n <= d (an over-parameterized problem), got n = {} and "
                    "d = {}: lower --n or raise --d",
                    X.size(0), X.size(1)));
  }
  auto s = torch::linalg::svdvals(X, c10::nullopt);  // (n) descending
  const double ratio = s[-1].item<double>() / s[0].item<double>();
  if (!(ratio > kRankTolerance)) {
    throw Error(
        fmt::format("X ({} x {}) is rank deficient (singular value ratio {:.3g}): no unique minimum-norm "
                    "solution; try another --seed",
                    X.size(0), X.size(1), ratio));
  }
}

}  // namespace

Regression make_regression(const RegressionOptions& o) {
  if (o.n < 1) throw Error(fmt::format("--n must be at least 1, got {}", o.n));
  if (o.d < 1) throw Error(fmt::format("--d must be at least 1, got {}", o.d));
  if (o.n_validation < 0) throw Error(fmt::format("--n-validation must be at least 0, got {}", o.n_validation));
  if (!(o.noise >= 0.0)) throw Error(fmt::format("--noise must be non-negative, got {}", o.noise));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  Regression p;
  // Drawn in a fixed order (teacher, X, noise, validation) so that adding a validation set leaves the training
  // problem of a seed unchanged.
  p.w_true =
      torch::randn({o.d}, gen, torch::kFloat64) / std::sqrt(static_cast<double>(o.d));   // (d), so X w_true ~ N(0, 1)
  p.X = torch::randn({o.n, o.d}, gen, torch::kFloat64);                                  // (n, d)
  p.t = torch::mv(p.X, p.w_true) + o.noise * torch::randn({o.n}, gen, torch::kFloat64);  // (n)
  if (o.n_validation > 0) {
    p.X_val = torch::randn({o.n_validation, o.d}, gen, torch::kFloat64);  // (n_val, d)
    p.t_val = torch::mv(p.X_val, p.w_true) + o.noise * torch::randn({o.n_validation}, gen, torch::kFloat64);
  }
  return p;
}

Regression two_d_example() {
  Regression p;
  p.X = torch::tensor({{2.0, 1.0}}, torch::kFloat64);  // (1, 2)
  p.t = torch::tensor({2.0}, torch::kFloat64);         // (1)
  return p;
}

double mse(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t) {
  return (torch::mv(X, w) - t).pow(2).mean().item<double>();
}

torch::Tensor mse_gradient(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t) {
  auto r = torch::mv(X, w) - t;                                         // (n)
  return torch::mv(X.t(), r) * (2.0 / static_cast<double>(X.size(0)));  // (d)
}

double residual_norm(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t) {
  return (torch::mv(X, w) - t).norm().item<double>();
}

double smoothness(const torch::Tensor& X) {
  // The nonzero eigenvalues of X^T X are the squared singular values of X.
  auto s = torch::linalg::svdvals(X, c10::nullopt);
  return 2.0 / static_cast<double>(X.size(0)) * s[0].item<double>() * s[0].item<double>();
}

RowSpace::RowSpace(const torch::Tensor& X) {
  check_full_row_rank(X);
  Q_ = std::get<0>(torch::linalg::qr(X.t(), "reduced"));  // (d, n)
}

torch::Tensor RowSpace::project(const torch::Tensor& w) const { return torch::mv(Q_, torch::mv(Q_.t(), w)); }

double RowSpace::off_span_norm(const torch::Tensor& w) const { return (w - project(w)).norm().item<double>(); }

torch::Tensor min_norm_solution(const torch::Tensor& X, const torch::Tensor& t) {
  check_full_row_rank(X);
  auto gram = torch::mm(X, X.t());                                         // (n, n)
  auto alpha = torch::linalg::solve(gram, t.unsqueeze(1), /*left=*/true);  // (n, 1)
  return torch::mv(X.t(), alpha.squeeze(1));                               // (d)
}

}  // namespace tint::optim
