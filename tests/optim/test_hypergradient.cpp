// Hypergradients of unrolled GD: reverse mode (autograd) and forward mode (carried tangents) against central finite
// differences and, for one step, against the derivative written out by hand; memory of each mode against t.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ostream>

#include "tint/optim/hypergradient.h"
#include "tint/optim/memory_probe.h"
#include "tint/optim/problem.h"

namespace tint::optim {
namespace {

struct HyperCase {
  int64_t n, d, steps;
  double eta, lambda;
  bool validation;  // objective: validation loss instead of the regularized training loss
  bool random_start;
};
void PrintTo(const HyperCase& c, std::ostream* os) {
  *os << "n" << c.n << "_d" << c.d << "_t" << c.steps << "_eta" << c.eta << "_lambda" << c.lambda
      << (c.validation ? "_validation" : "_training") << (c.random_start ? "_w0random" : "_w0zero");
}

Unrolled setup(const HyperCase& c) {
  RegressionOptions o;
  o.n = c.n;
  o.d = c.d;
  o.n_validation = 30;
  o.seed = static_cast<uint64_t>(c.steps);
  auto p = make_regression(o);
  torch::manual_seed(11);
  auto w0 = c.random_start ? 0.3 * torch::randn({c.d}, torch::kFloat64) : torch::zeros({c.d}, torch::kFloat64);
  Unrolled u{p.X, p.t, w0, c.steps};
  if (c.validation) {
    u.X_eval = p.X_val;
    u.t_eval = p.t_val;
  }
  return u;
}

class HypergradientModes : public ::testing::TestWithParam<HyperCase> {};

TEST_P(HypergradientModes, ReverseAndForwardAgreeWithFiniteDifferences) {
  const auto& c = GetParam();
  auto u = setup(c);
  auto rev = reverse_hypergradient(u, c.eta, c.lambda);
  auto fwd = forward_hypergradient(u, c.eta, c.lambda);
  auto fd = finite_difference_hypergradient(u, c.eta, c.lambda);
  EXPECT_NEAR(rev.loss, unrolled_loss(u, c.eta, c.lambda), 1e-12 * (1.0 + std::abs(rev.loss)));
  EXPECT_LT(relative_error(rev.d_eta, fd.d_eta), 1e-6) << rev.d_eta << " vs " << fd.d_eta;
  EXPECT_LT(relative_error(fwd.d_eta, fd.d_eta), 1e-6) << fwd.d_eta << " vs " << fd.d_eta;
  EXPECT_LT(relative_error(rev.d_eta, fwd.d_eta), 1e-10);
  EXPECT_LT(relative_error(rev.d_lambda, fd.d_lambda), 1e-6) << rev.d_lambda << " vs " << fd.d_lambda;
  EXPECT_LT(relative_error(fwd.d_lambda, fd.d_lambda), 1e-6) << fwd.d_lambda << " vs " << fd.d_lambda;
}

INSTANTIATE_TEST_SUITE_P(Cases, HypergradientModes,
                         ::testing::Values(HyperCase{20, 100, 1, 0.002, 0.01, false, false},
                                           HyperCase{20, 100, 10, 0.002, 0.01, false, false},
                                           HyperCase{20, 100, 100, 0.002, 0.01, false, false},
                                           HyperCase{20, 100, 50, 0.01, 0.1, false, true},
                                           HyperCase{50, 10, 30, 0.02, 0.05, false, true},
                                           HyperCase{20, 100, 40, 0.003, 0.01, true, false},
                                           HyperCase{30, 8, 25, 0.05, 0.2, true, true}));

TEST(Hypergradient, OneStepMatchesTheDerivativeWrittenOut) {
  // w1 = w0 - eta g0, g0 = (2/n) X^T a + 2 lambda w0, a = X w0 - t:
  //   dL~1/deta    = -grad L~(w1) . g0
  //   dL~1/dlambda = ||w1||^2 + grad L~(w1) . (-2 eta w0)
  RegressionOptions o;
  o.n = 12;
  o.d = 30;
  auto p = make_regression(o);
  auto w0 = torch::linspace(-1.0, 1.0, 30, torch::kFloat64);
  const double eta = 0.01, lambda = 0.3;
  auto grad = [&](const torch::Tensor& w) {
    return torch::mv(p.X.t(), torch::mv(p.X, w) - p.t) * (2.0 / 12.0) + 2.0 * lambda * w;
  };
  auto g0 = grad(w0);
  auto w1 = w0 - eta * g0;
  const double d_eta = -torch::dot(grad(w1), g0).item<double>();
  const double d_lambda = torch::dot(w1, w1).item<double>() + torch::dot(grad(w1), -2.0 * eta * w0).item<double>();
  Unrolled u{p.X, p.t, w0, 1};
  for (const auto& h : {reverse_hypergradient(u, eta, lambda), forward_hypergradient(u, eta, lambda)}) {
    EXPECT_LT(relative_error(h.d_eta, d_eta), 1e-12);
    EXPECT_LT(relative_error(h.d_lambda, d_lambda), 1e-12);
  }
}

TEST(Hypergradient, ZeroStepsDependOnNeitherEtaNorLambdaThroughThePath) {
  RegressionOptions o;
  o.n = 5;
  o.d = 7;
  auto p = make_regression(o);
  auto w0 = torch::ones({7}, torch::kFloat64);
  Unrolled u{p.X, p.t, w0, 0};
  auto h = reverse_hypergradient(u, 0.1, 0.2);
  EXPECT_EQ(h.d_eta, 0.0);
  EXPECT_NEAR(h.d_lambda, 7.0, 1e-14);  // only the direct term ||w0||^2
}

TEST(MemoryProbe, CountsLiveAndPeakBytes) {
  AllocationProbe probe;
  {
    auto a = torch::empty({1000}, torch::kFloat64);  // 8000 bytes
    EXPECT_GE(probe.live_bytes(), 8000);
    auto b = torch::empty({500}, torch::kFloat64);
    EXPECT_GE(probe.peak_bytes(), 12000);
  }
  EXPECT_EQ(probe.live_bytes(), 0);
  EXPECT_GE(probe.allocations(), 2);
  EXPECT_GE(probe.peak_bytes(), 12000);
  EXPECT_LT(probe.peak_bytes(), 13000);
}

TEST(MemoryProbe, ReverseModeGrowsLinearlyInTForwardModeDoesNot) {
  RegressionOptions o;
  o.n = 20;
  o.d = 100;
  auto p = make_regression(o);
  auto w0 = torch::zeros({100}, torch::kFloat64);
  std::vector<int64_t> rev, fwd;
  for (int64_t t : {20, 40, 80}) {
    Unrolled u{p.X, p.t, w0, t};
    rev.push_back(peak_tensor_bytes([&] { reverse_hypergradient(u, 0.002, 0.01); }));
    fwd.push_back(peak_tensor_bytes([&] { forward_hypergradient(u, 0.002, 0.01); }));
  }
  // Linear: doubling t from 40 to 80 adds twice what going from 20 to 40 added.
  const double first = static_cast<double>(rev[1] - rev[0]), second = static_cast<double>(rev[2] - rev[1]);
  EXPECT_GT(first, 20 * 8 * 100);  // at least one d-vector of doubles kept per step
  EXPECT_NEAR(second / first, 2.0, 0.05);
  EXPECT_EQ(fwd[0], fwd[1]);
  EXPECT_EQ(fwd[1], fwd[2]);
  EXPECT_LT(fwd[0], rev[0]);
}

}  // namespace
}  // namespace tint::optim
