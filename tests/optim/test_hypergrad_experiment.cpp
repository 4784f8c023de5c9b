// The hypergrad experiment end to end in-process: every check within tolerance, memory growth measured, one-step
// optimum located, hyper loop improving the validation loss.
#include <gtest/gtest.h>

#include "tint/core/error.h"
#include "tint/optim/hypergrad_experiment.h"

namespace tint::optim {
namespace {

TEST(HypergradExperiment, ChecksPassAndMemoryGrowsOnlyInReverseMode) {
  HypergradOptions o;
  o.steps = {5, 10, 20, 40};
  o.loop.hyper_steps = 10;
  auto r = run_hypergrad(o);
  ASSERT_EQ(r.checks.size(), 4u);
  EXPECT_LT(r.max_relative_error, 1e-6);
  EXPECT_GT(r.reverse_bytes_per_step, 800.0);  // at least one (d = 100) vector of doubles per step
  EXPECT_EQ(r.forward_peak_spread, 0);
  EXPECT_NEAR(r.one_step.eta_closed_form, r.one_step.eta_zero, 1e-9);
  EXPECT_LT(r.loop.back().validation_loss, r.loop.front().validation_loss);
  for (const char* s : {"largest relative error", "bytes per step", "eta* =", "hyper loop"}) {
    EXPECT_NE(r.summary.find(s), std::string::npos) << s;
  }
}

TEST(HypergradExperiment, BadSettingsNameTheirFlag) {
  HypergradOptions o;
  o.steps = {10, 0};
  try {
    run_hypergrad(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--t"), std::string::npos) << e.what();
  }
  o = HypergradOptions{};
  o.eta = 0.0;
  EXPECT_THROW(run_hypergrad(o), Error);
  o.eta = 0.2;  // above 2 / (L + 2 lambda) ~ 0.095 for the default problem
  try {
    run_hypergrad(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--eta"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("diverges"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tint::optim
