// Question 2.2.3 numerically: the closed-form one-step learning rate against a grid search on the loss itself and
// the zero of the autograd hypergradient; and the hyper loop on log(eta) against a brute-force scan.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <ostream>

#include "tint/core/error.h"
#include "tint/optim/hyper_loop.h"
#include "tint/optim/one_step.h"
#include "tint/optim/problem.h"

namespace tint::optim {
namespace {

struct OneStepCase {
  int64_t n, d;
  bool random_start;
  uint64_t seed;
};
void PrintTo(const OneStepCase& c, std::ostream* os) {
  *os << "n" << c.n << "_d" << c.d << (c.random_start ? "_w0random" : "_w0zero") << "_seed" << c.seed;
}

class OneStep : public ::testing::TestWithParam<OneStepCase> {};

TEST_P(OneStep, ClosedFormMatchesGridSearchAndTheHypergradientZero) {
  const auto& c = GetParam();
  RegressionOptions o;
  o.n = c.n;
  o.d = c.d;
  o.seed = c.seed;
  auto p = make_regression(o);
  torch::manual_seed(static_cast<int64_t>(c.seed));
  auto w0 = c.random_start ? torch::randn({c.d}, torch::kFloat64) : torch::zeros({c.d}, torch::kFloat64);
  auto r = one_step_optimum(p.X, p.t, w0);
  EXPECT_NEAR(r.eta_parabola, r.eta_closed_form, 1e-9);
  EXPECT_NEAR(r.eta_zero, r.eta_closed_form, 1e-9);
  EXPECT_LE(std::abs(r.eta_grid - r.eta_closed_form), r.grid_spacing);  // the plain grid is within one spacing
  EXPECT_LT(std::abs(r.hypergradient_at_closed_form), 1e-10 * std::abs(r.hypergradient_at_zero_eta));
  // eta* is a minimum: nearby learning rates do worse, judged on the loss computed here by taking the step.
  auto loss_after = [&](double eta) {
    auto w1 = w0 - eta * mse_gradient(p.X, w0, p.t);
    return mse(p.X, w1, p.t);
  };
  EXPECT_NEAR(loss_after(r.eta_closed_form), r.loss_at_closed_form, 1e-12);
  for (double f : {0.99, 1.01}) EXPECT_GT(loss_after(f * r.eta_closed_form), r.loss_at_closed_form);
}

INSTANTIATE_TEST_SUITE_P(Problems, OneStep,
                         ::testing::Values(OneStepCase{20, 100, false, 0}, OneStepCase{20, 100, true, 1},
                                           OneStepCase{50, 10, false, 2}, OneStepCase{50, 10, true, 3},
                                           OneStepCase{3, 3, true, 4}));

TEST(OneStepClosedForm, UndefinedAtAMinimizer) {
  RegressionOptions o;
  o.n = 5;
  o.d = 9;
  auto p = make_regression(o);
  auto w_star = min_norm_solution(p.X, p.t);  // X^T (X w* - t) = 0
  auto X = p.X;
  auto t = torch::mv(X, w_star);  // exactly consistent targets
  EXPECT_THROW(one_step_closed_form(X, t, w_star), Error);
}

TEST(HyperLoop, ReachesTheValidationOptimumOfABruteForceScan) {
  RegressionOptions o;
  o.n = 20;
  o.d = 100;
  o.n_validation = 100;
  auto p = make_regression(o);
  Unrolled u{p.X, p.t, torch::zeros({100}, torch::kFloat64), 100, p.X_val, p.t_val};
  HyperLoopOptions h;
  auto path = optimize_learning_rate(u, h);
  ASSERT_EQ(path.size(), static_cast<size_t>(h.hyper_steps + 1));
  EXPECT_LT(path.back().validation_loss, path.front().validation_loss);
  EXPECT_LT(std::abs(path.back().d_log_eta), 1e-6);
  // Brute force: scan log(eta) in steps of 0.01 and take the best validation loss; it must lie inside the scan.
  const double lo = std::log(5e-4), hi = std::log(5e-3);
  double best = lo, best_loss = INFINITY;
  for (double le = lo; le <= hi; le += 0.01) {
    const double loss = unrolled_loss(u, std::exp(le), h.lambda);
    if (loss < best_loss) best_loss = loss, best = le;
  }
  ASSERT_GT(best, lo + 0.1);
  ASSERT_LT(best, hi - 0.1);
  EXPECT_NEAR(std::log(path.back().eta), best, 0.01);
  EXPECT_LE(path.back().validation_loss, best_loss + 1e-9);
}

TEST(HyperLoop, BadOptionsNameTheirFlag) {
  RegressionOptions o;
  o.n = 5;
  o.d = 6;
  o.n_validation = 4;
  auto p = make_regression(o);
  Unrolled u{p.X, p.t, torch::zeros({6}, torch::kFloat64), 3, p.X_val, p.t_val};
  HyperLoopOptions h;
  h.hyper_lr = 0.0;
  try {
    optimize_learning_rate(u, h);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--hyper-lr"), std::string::npos);
  }
  u.X_eval = torch::Tensor();
  EXPECT_THROW(optimize_learning_rate(u, HyperLoopOptions{}), Error);
}

}  // namespace
}  // namespace tint::optim
