// Section 2.3 numerically: GD on the L2 loss with lambda~ = lambda/(2 eta) is GD with weight decay lambda, step for
// step; under Adam and RMSProp the two part ways, and the L2 runs head for the ridge solution, solved directly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/optim/weight_decay.h"

namespace tint::optim {
namespace {

const DecayComparison& get(const WeightDecayResult& r, const std::string& name) {
  for (const auto& c : r.comparisons) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no comparison " + name);
}

class WeightDecay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { result_ = new WeightDecayResult(run_weight_decay(WeightDecayOptions{})); }
  static void TearDownTestSuite() { delete result_; }
  static WeightDecayResult* result_;
};
WeightDecayResult* WeightDecay::result_ = nullptr;

TEST_F(WeightDecay, GdEquivalenceHoldsAtEveryStep) {
  const auto& gd = get(*result_, "GD");
  EXPECT_NEAR(gd.lambda_l2, 0.001 / (2 * 0.01), 1e-15);
  ASSERT_EQ(gd.distance.size(), 1001u);
  EXPECT_LT(gd.max_distance, 1e-12);
  EXPECT_GT(gd.w_l2.norm().item<double>(), 0.1);  // the runs did move
}

TEST_F(WeightDecay, AdamAndRmsPropPartWays) {
  EXPECT_GT(get(*result_, "Adam").final_distance, 1e-3);
  EXPECT_GT(get(*result_, "RMSProp").final_distance, 1e-3);
}

TEST_F(WeightDecay, WithoutTheOneOverTwoEtaFactorGdDiffers) {
  EXPECT_GT(get(*result_, "GD, lambda~ = lambda").final_distance, 1e-4);
}

TEST_F(WeightDecay, L2RunsHeadForTheRidgeSolution) {
  // GD reaches ridge; Adam with L2 in its gradient has the same fixed point (grad L~ = 0) while AdamW does not.
  EXPECT_LT(get(*result_, "GD").l2_to_ridge, 1e-10);
  EXPECT_LT(get(*result_, "Adam").l2_to_ridge, 1e-4);
  EXPECT_GT(get(*result_, "Adam").decay_to_ridge, 1e-2);
}

TEST(WeightDecayOptionsCheck, BadSettingsNameTheirFlag) {
  WeightDecayOptions o;
  o.decay = 1.5;
  try {
    run_weight_decay(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--lambda"), std::string::npos) << e.what();
  }
  o = WeightDecayOptions{};
  o.lr = -0.1;
  try {
    run_weight_decay(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--lr"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tint::optim
