// The optimization lab's figures as the README states them, each from the README's own command: the experiments'
// defaults are the CLI's (`tint optim min-norm` = run_min_norm({}), and so on). A README figure that the code no
// longer reaches fails here; the bounds are the README's, not looser ones.
#include <gtest/gtest.h>

#include <cmath>

#include "tint/optim/adaptive.h"
#include "tint/optim/hypergrad_experiment.h"
#include "tint/optim/min_norm.h"
#include "tint/optim/weight_decay.h"

namespace tint::optim {
namespace {

// README: "GD and mini-batch SGD from w = 0 end within 2e-11 of w* ... with an off-span norm below 1e-15 at every
// step; SGD from a random start ends exactly its off-span distance away."
TEST(ReadmeFigures, MinNorm) {
  const auto r = run_min_norm({});
  for (const auto* run : {&r.gd, &r.sgd}) {
    EXPECT_LT(run->history.back().distance, 2e-11) << run->name;
    EXPECT_LT(run->max_off_span, 1e-15) << run->name;
  }
  ASSERT_EQ(r.contrast.size(), 1u);
  const auto& last = r.contrast[0].history.back();
  EXPECT_GT(last.off_span, 0.1);
  EXPECT_NEAR(last.distance, last.off_span, 1e-10 * last.off_span);
}

// README: "GD ends at (0.8, 0.4) (the minimum-norm solution) while RMSProp, Adam and Adagrad end near (2/3, 2/3),
// 0.29-0.30 away, all on the solution line."
TEST(ReadmeFigures, Adaptive) {
  const auto r = run_adaptive({});
  for (const auto& s : r.two_d) {
    const double w1 = s.descent.w[0].item<double>(), w2 = s.descent.w[1].item<double>();
    EXPECT_NEAR(2 * w1 + w2, 2.0, 1e-9) << method_name(s.method);  // on the solution line
    if (s.method == Method::GD || s.method == Method::SGD) {
      EXPECT_LT(std::hypot(w1 - 0.8, w2 - 0.4), 1e-9) << method_name(s.method);
    } else {
      EXPECT_GE(s.distance, 0.29) << method_name(s.method);
      EXPECT_LE(s.distance, 0.30) << method_name(s.method);
    }
  }
}

// README: "dL_t/d eta and dL_t/d lambda by reverse mode ... and by forward mode agree with central finite differences
// (relative error <= 5e-8); reverse mode's memory grows about 1.9 KB per step, forward mode's stays flat".
TEST(ReadmeFigures, Hypergrad) {
  const auto r = run_hypergrad({});
  EXPECT_LE(r.max_relative_error, 5e-8);
  EXPECT_GT(r.max_relative_error, 0.0);  // finite differences are never exact: a zero would mean no comparison
  EXPECT_NEAR(r.reverse_bytes_per_step, 1900.0, 100.0);
  EXPECT_EQ(r.forward_peak_spread, 0);
}

// README: "a GD step with L2 penalty lambda~ equals weight decay lambda exactly when lambda~ = lambda / (2 eta) (max
// difference below 5e-15 over 1,000 steps); under Adam, L2 and decoupled decay (AdamW) end 0.34 apart."
TEST(ReadmeFigures, WeightDecay) {
  const auto r = run_weight_decay({});
  ASSERT_EQ(r.comparisons.size(), 4u);
  EXPECT_EQ(r.comparisons[0].name, "GD");
  EXPECT_LT(r.comparisons[0].max_distance, 5e-15);
  EXPECT_EQ(r.comparisons[0].distance.size(), 1001u);
  EXPECT_EQ(r.comparisons[2].name, "Adam");
  EXPECT_NEAR(r.comparisons[2].final_distance, 0.34, 0.005);
}

}  // namespace
}  // namespace tint::optim
