// Questions 1.2.1-1.2.2 numerically: on x1 = [2, 1], t = 2 GD ends at the minimum-norm (0.8, 0.4) while RMSProp and
// Adam end elsewhere on the line 2 w1 + w2 = 2; on random n < d problems the adaptive methods' solutions are longer
// than w* by exactly their distance from it (Pythagoras, since w - w* lies in the null space of X).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/optim/adaptive.h"

namespace tint::optim {
namespace {

const SolverOutcome& find(const std::vector<SolverOutcome>& all, const std::string& problem, Method m) {
  for (const auto& s : all) {
    if (s.problem == problem && s.method == m) return s;
  }
  throw std::runtime_error("no outcome for " + problem + " " + method_name(m));
}

double line_residual(const torch::Tensor& w) {  // |2 w1 + w2 - 2|, computed here rather than taken from the run
  return std::abs(2.0 * w[0].item<double>() + w[1].item<double>() - 2.0);
}

class Adaptive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    AdaptiveOptions o;
    o.problems = 2;
    result_ = new AdaptiveResult(run_adaptive(o));
  }
  static void TearDownTestSuite() { delete result_; }
  static AdaptiveResult* result_;
};
AdaptiveResult* Adaptive::result_ = nullptr;

TEST_F(Adaptive, TwoDGdFindsTheMinimumNormSolution) {
  const auto& gd = find(result_->two_d, "2-D", Method::GD);
  ASSERT_TRUE(gd.descent.converged);
  EXPECT_LT(std::hypot(gd.descent.w[0].item<double>() - 0.8, gd.descent.w[1].item<double>() - 0.4), 1e-8);
  EXPECT_LT(line_residual(gd.descent.w), 1e-8);
}

TEST_F(Adaptive, TwoDRmsPropAndAdamEndElsewhereOnTheLine) {
  for (Method m : {Method::RMSProp, Method::Adam, Method::Adagrad}) {
    const auto& s = find(result_->two_d, "2-D", m);
    ASSERT_TRUE(s.descent.converged) << method_name(m);
    EXPECT_LT(line_residual(s.descent.w), 1e-8) << method_name(m);
    const double distance = std::hypot(s.descent.w[0].item<double>() - 0.8, s.descent.w[1].item<double>() - 0.4);
    EXPECT_GT(distance, 1e-2) << method_name(m);
    EXPECT_GT(s.norm, std::hypot(0.8, 0.4)) << method_name(m);
  }
}

TEST_F(Adaptive, RandomProblemsGdAndSgdFindWStarTheOthersLongerSolutions) {
  ASSERT_EQ(result_->random.size(), 2 * all_methods().size());
  for (size_t k = 0; k < result_->random.size(); ++k) {
    const auto& s = result_->random[k];
    const double w_star = result_->random_min_norm[k / all_methods().size()];
    ASSERT_TRUE(s.descent.converged) << s.problem << " " << method_name(s.method);
    EXPECT_LT(s.descent.residual, 1e-8);
    EXPECT_NEAR(s.norm * s.norm, w_star * w_star + s.distance * s.distance, 1e-9)
        << s.problem << " " << method_name(s.method);
    if (s.method == Method::GD || s.method == Method::SGD) {
      EXPECT_LT(s.distance, 1e-6) << s.problem << " " << method_name(s.method);
      EXPECT_LT(s.off_span, 1e-10);
    } else {
      EXPECT_GT(s.distance, 1e-2) << s.problem << " " << method_name(s.method);
      EXPECT_NEAR(s.off_span, s.distance, 1e-8);  // all of the distance lies outside the row space
    }
  }
}

TEST(AdaptiveTwoD, RmsPropWithTinyEpsilonMovesAlongTheDiagonalToTwoThirds) {
  // Every gradient is 2 r [2, 1], so v1 = 4 v2 and g_i / sqrt(v_i) is the same in both coordinates: with eps -> 0
  // RMSProp moves along (1, 1) and meets the line at (2/3, 2/3).
  AdaptiveOptions o;
  o.problems = 0;
  o.epsilon = 1e-12;
  auto r = run_adaptive(o);
  const auto& s = find(r.two_d, "2-D", Method::RMSProp);
  ASSERT_TRUE(s.descent.converged);
  EXPECT_NEAR(s.descent.w[0].item<double>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(s.descent.w[1].item<double>(), 2.0 / 3.0, 1e-6);
}

TEST(AdaptiveRandom, RmsPropWithEpsilon1e8DoesNotSettle) {
  // With a constant learning rate and a tiny epsilon RMSProp's step lr g / sqrt(v) does not shrink with g: it ends in
  // a cycle around the solution set instead of on it, which the run reports as not converged.
  AdaptiveOptions o;
  o.problems = 1;
  o.epsilon = 1e-8;
  o.max_steps = 3000;
  o.lr[Method::RMSProp] = 0.01;
  auto r = run_adaptive(o);
  const auto& s = find(r.random, "random 1", Method::RMSProp);
  EXPECT_FALSE(s.descent.converged);
  EXPECT_GT(s.descent.residual, 1e-3);
  EXPECT_NE(r.summary.find("NOT converged"), std::string::npos);
}

TEST(AdaptiveOptionsCheck, BadSettingsNameTheirFlag) {
  auto message = [](AdaptiveOptions o) {
    try {
      run_adaptive(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  AdaptiveOptions o;
  o.lr[Method::Adam] = -1.0;
  EXPECT_NE(message(o).find("--lr-adam"), std::string::npos);
  o = AdaptiveOptions{};
  o.problem.n = 200;
  EXPECT_NE(message(o).find("--n"), std::string::npos);
  o = AdaptiveOptions{};
  o.beta = 1.5;
  EXPECT_NE(message(o).find("--beta"), std::string::npos);
  o = AdaptiveOptions{};
  o.lr[Method::GD] = 1.0;  // diverges on the random problem
  EXPECT_NE(message(o).find("--lr-gd"), std::string::npos);
}

}  // namespace
}  // namespace tint::optim
