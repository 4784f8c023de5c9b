// Question 1.1.1 numerically: SGD and GD from zero never leave the row space of X and end at the minimum-norm
// solution; from a random start the off-span part stays and sets the final distance (Pythagoras).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ostream>

#include "tint/core/error.h"
#include "tint/optim/min_norm.h"

namespace tint::optim {
namespace {

struct MinNormCase {
  int64_t n, d, batch;
  double lr;
  uint64_t seed;
};
void PrintTo(const MinNormCase& c, std::ostream* os) {
  *os << "n" << c.n << "_d" << c.d << "_b" << c.batch << "_lr" << c.lr << "_seed" << c.seed;
}

class MinNormRuns : public ::testing::TestWithParam<MinNormCase> {};

TEST_P(MinNormRuns, SgdAndGdStayInTheRowSpaceAndReachWStar) {
  const auto& c = GetParam();
  MinNormOptions o;
  o.problem.n = c.n;
  o.problem.d = c.d;
  o.problem.seed = c.seed;
  o.batch = c.batch;
  o.lr = c.lr;
  o.init_scale = 0.0;
  auto r = run_min_norm(o);
  // Independent reference for w*: the SVD pseudo-inverse.
  auto p = make_regression(o.problem);
  auto reference = torch::mv(torch::linalg::pinv(p.X, 1e-15, false), p.t);
  ASSERT_LT((r.w_star - reference).norm().item<double>(), 1e-12);
  for (const MinNormRun* run : {&r.gd, &r.sgd}) {
    ASSERT_TRUE(run->descent.converged) << run->name;
    ASSERT_EQ(run->history.size(), static_cast<size_t>(run->descent.steps + 1)) << run->name;
    for (const auto& s : run->history) ASSERT_LT(s.off_span, 1e-10) << run->name << " step " << s.step;
    EXPECT_LT((run->descent.w - reference).norm().item<double>(), 1e-6) << run->name;
    EXPECT_NEAR(run->descent.w.norm().item<double>(), reference.norm().item<double>(), 1e-6) << run->name;
  }
  // SGD really was stochastic: its path differs from GD's (unless the batch is everything).
  if (c.batch < c.n) {
    EXPECT_NE(r.gd.history[1].distance, r.sgd.history[1].distance);
  }
}

INSTANTIATE_TEST_SUITE_P(Problems, MinNormRuns,
                         ::testing::Values(MinNormCase{20, 100, 5, 0.01, 0}, MinNormCase{20, 100, 1, 0.004, 1},
                                           MinNormCase{10, 30, 3, 0.01, 2}, MinNormCase{8, 40, 8, 0.01, 3}));

TEST(MinNorm, RandomStartKeepsItsOffSpanPartAndEndsThatFarFromWStar) {
  MinNormOptions o;
  o.init_scale = 0.1;
  auto r = run_min_norm(o);
  ASSERT_EQ(r.contrast.size(), 1u);
  const auto& run = r.contrast.front();
  ASSERT_TRUE(run.descent.converged);
  const double start = run.history.front().off_span;
  EXPECT_GT(start, 0.1);
  for (const auto& s : run.history) ASSERT_NEAR(s.off_span, start, 1e-10) << "step " << s.step;
  // The end point solves Xw = t, so it is w* plus the untouched null-space part: distance = that part's norm and
  // ||w||^2 = ||w*||^2 + distance^2.
  const auto& last = run.history.back();
  EXPECT_NEAR(last.distance, start, 1e-8);
  EXPECT_NEAR(last.norm * last.norm, r.w_star_norm * r.w_star_norm + start * start, 1e-8);
}

TEST(MinNorm, SummaryReportsEachRun) {
  MinNormOptions o;
  o.problem.n = 5;
  o.problem.d = 15;
  o.batch = 2;
  auto r = run_min_norm(o);
  for (const char* s : {"||w*||", "GD:", "SGD (b = 2):", "SGD from w0 != 0:", "max off-span"}) {
    EXPECT_NE(r.summary.find(s), std::string::npos) << s << " in\n" << r.summary;
  }
  EXPECT_TRUE(r.files.empty());  // no out_dir, nothing written
}

TEST(MinNorm, BadSettingsNameTheirFlag) {
  auto message = [](MinNormOptions o) {
    try {
      run_min_norm(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  MinNormOptions o;
  o.problem.n = 100;
  o.problem.d = 100;
  EXPECT_NE(message(o).find("--n"), std::string::npos);
  o = MinNormOptions{};
  o.batch = 21;
  EXPECT_NE(message(o).find("--batch-size"), std::string::npos);
  o = MinNormOptions{};
  o.lr = 1.0;  // far above 2 / L: diverges
  EXPECT_NE(message(o).find("--lr"), std::string::npos);
  o = MinNormOptions{};
  o.max_steps = 3;  // stops early: reported, not an error
  auto r = run_min_norm(o);
  EXPECT_FALSE(r.gd.descent.converged);
  EXPECT_NE(r.summary.find("not converged"), std::string::npos);
}

}  // namespace
}  // namespace tint::optim
