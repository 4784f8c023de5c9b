// Regression problems and their geometry: the generator is seeded, w* matches the pseudo-inverse, the row-space
// projector separates what gradients can reach from what they cannot, the gradient matches autograd.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/optim/problem.h"

namespace tint::optim {
namespace {

TEST(Regression, SameSeedSameProblemAndValidationLeavesTrainingAlone) {
  RegressionOptions o;
  o.n = 7;
  o.d = 11;
  o.seed = 3;
  auto a = make_regression(o);
  auto b = make_regression(o);
  EXPECT_EQ(a.X.sizes(), (std::vector<int64_t>{7, 11}));
  EXPECT_EQ(a.X.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(a.X.equal(b.X));
  EXPECT_TRUE(a.t.equal(b.t));
  o.n_validation = 5;
  auto c = make_regression(o);
  EXPECT_TRUE(a.X.equal(c.X));
  EXPECT_TRUE(a.t.equal(c.t));
  EXPECT_EQ(c.X_val.sizes(), (std::vector<int64_t>{5, 11}));
  o.seed = 4;
  EXPECT_FALSE(make_regression(o).X.equal(a.X));
}

TEST(Regression, BadSizesNameTheFlag) {
  RegressionOptions o;
  o.n = 0;
  try {
    make_regression(o);
    FAIL() << "n = 0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--n"), std::string::npos) << e.what();
  }
}

TEST(MinNorm, MatchesThePseudoInverseAndSolvesTheSystem) {
  RegressionOptions o;
  o.n = 20;
  o.d = 100;
  auto p = make_regression(o);
  auto w_star = min_norm_solution(p.X, p.t);
  // Independent: LAPACK's SVD-based pseudo-inverse.
  auto reference = torch::mv(torch::linalg::pinv(p.X, /*rcond=*/1e-15, /*hermitian=*/false), p.t);
  EXPECT_LT((w_star - reference).norm().item<double>(), 1e-12);
  EXPECT_LT(residual_norm(p.X, w_star, p.t), 1e-12);
}

TEST(MinNorm, EveryOtherSolutionIsLonger) {
  RegressionOptions o;
  o.n = 5;
  o.d = 12;
  auto p = make_regression(o);
  auto w_star = min_norm_solution(p.X, p.t);
  // w* + z with z in the null space of X solves the system too; Pythagoras makes it longer.
  auto v = torch::randn({12}, torch::kFloat64);
  auto z = v - torch::mv(torch::linalg::pinv(p.X, 1e-15, false), torch::mv(p.X, v));  // (d) null-space part of v
  auto other = w_star + z;
  EXPECT_LT(residual_norm(p.X, other, p.t), 1e-12);
  EXPECT_NEAR(other.norm().pow(2).item<double>(), w_star.norm().pow(2).item<double>() + z.norm().pow(2).item<double>(),
              1e-12);
  EXPECT_GT(other.norm().item<double>(), w_star.norm().item<double>());
}

TEST(RowSpace, SeparatesRowSpaceFromNullSpace) {
  RegressionOptions o;
  o.n = 4;
  o.d = 9;
  auto p = make_regression(o);
  RowSpace span(p.X);
  auto in_span = torch::mv(p.X.t(), torch::tensor({1.0, -2.0, 0.5, 3.0}, torch::kFloat64));  // X^T c
  EXPECT_LT(span.off_span_norm(in_span), 1e-13);
  auto v = torch::ones({9}, torch::kFloat64);
  auto null_part = v - torch::mv(torch::linalg::pinv(p.X, 1e-15, false), torch::mv(p.X, v));
  EXPECT_NEAR(span.off_span_norm(null_part), null_part.norm().item<double>(), 1e-13);
  EXPECT_NEAR(span.off_span_norm(v), null_part.norm().item<double>(), 1e-13);
}

TEST(RowSpace, RankDeficientOrUnderParameterizedIsAnError) {
  auto X = torch::tensor({{1.0, 2.0, 3.0}, {2.0, 4.0, 6.0}}, torch::kFloat64);  // second row = 2 x first
  EXPECT_THROW(RowSpace{X}, Error);
  EXPECT_THROW(min_norm_solution(X, torch::tensor({1.0, 2.0}, torch::kFloat64)), Error);
  EXPECT_THROW(RowSpace{torch::randn({5, 3}, torch::kFloat64)}, Error);
}

TEST(Loss, GradientMatchesAutogradAndSmoothnessTheLargestEigenvalue) {
  RegressionOptions o;
  o.n = 6;
  o.d = 4;
  auto p = make_regression(o);
  auto w = torch::randn({4}, torch::kFloat64).requires_grad_(true);
  auto loss = (torch::mv(p.X, w) - p.t).pow(2).mean();
  loss.backward();
  torch::NoGradGuard no_grad;
  EXPECT_NEAR(loss.item<double>(), mse(p.X, w, p.t), 1e-14);
  EXPECT_LT((mse_gradient(p.X, w, p.t) - w.grad()).abs().max().item<double>(), 1e-13);
  auto hessian = torch::mm(p.X.t(), p.X) * (2.0 / 6.0);
  EXPECT_NEAR(smoothness(p.X), torch::linalg::eigvalsh(hessian, "L").max().item<double>(), 1e-12);
}

TEST(Regression, TwoDExampleIsQuestion121) {
  auto p = two_d_example();
  auto w_star = min_norm_solution(p.X, p.t);
  EXPECT_NEAR(w_star[0].item<double>(), 0.8, 1e-15);
  EXPECT_NEAR(w_star[1].item<double>(), 0.4, 1e-15);
}

}  // namespace
}  // namespace tint::optim
