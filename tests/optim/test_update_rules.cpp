// The hand-written update rules against torch::optim, which implements the same formulas independently:
// one case per rule, the same gradient sequence fed to both, weights compared after every step.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <ostream>

#include "tint/core/error.h"
#include "tint/optim/update_rules.h"

namespace tint::optim {
namespace {

struct RuleCase {
  std::string name;
  Method method;
  RuleOptions options;
  std::function<std::unique_ptr<torch::optim::Optimizer>(torch::Tensor&)> reference;
};

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class RuleAgainstTorch : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RuleAgainstTorch, SameIteratesForFiftySteps) {
  const auto& c = GetParam();
  torch::manual_seed(0);
  auto A = torch::randn({6, 6}, torch::kFloat64);
  auto H = torch::mm(A.t(), A) + torch::eye(6, torch::kFloat64);  // (6, 6) a positive definite quadratic
  auto b = torch::randn({6}, torch::kFloat64);
  auto mine = torch::randn({6}, torch::kFloat64);
  auto theirs = mine.clone().requires_grad_(true);
  auto reference = c.reference(theirs);
  UpdateRule rule(c.method, c.options);
  for (int k = 0; k < 50; ++k) {
    // The gradient of 0.5 w^T H w - b^T w at each one's own iterate.
    rule.step(mine, torch::mv(H, mine) - b);
    reference->zero_grad();
    {
      torch::NoGradGuard no_grad;
      theirs.mutable_grad() = torch::mv(H, theirs) - b;
    }
    reference->step();
    ASSERT_LT((mine - theirs.detach()).abs().max().item<double>(), 1e-12 * (1.0 + mine.abs().max().item<double>()))
        << c.name << " step " << k;
  }
  EXPECT_EQ(rule.steps(), 50);
}

RuleOptions with(double lr, double epsilon = 1e-8, double decay = 0.0) {
  RuleOptions o;
  o.lr = lr;
  o.epsilon = epsilon;
  o.decay = decay;
  return o;
}

INSTANTIATE_TEST_SUITE_P(
    Optimizers, RuleAgainstTorch,
    ::testing::Values(
        RuleCase{"GD_vs_SGD", Method::GD, with(0.01),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                              torch::optim::SGDOptions(0.01));
                 }},
        // Decoupled decay lambda equals SGD's coupled weight_decay lambda / lr: w - lr (g + (lambda/lr) w).
        RuleCase{"GD_decay_vs_SGD_weight_decay", Method::GD, with(0.01, 1e-8, 0.003),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                              torch::optim::SGDOptions(0.01).weight_decay(0.3));
                 }},
        RuleCase{"RMSProp_vs_RMSprop", Method::RMSProp, with(0.01, 1e-3),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::RMSprop>(
                       std::vector<torch::Tensor>{w}, torch::optim::RMSpropOptions(0.01).alpha(0.9).eps(1e-3));
                 }},
        RuleCase{"Adam_vs_Adam", Method::Adam, with(0.01),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::Adam>(
                       std::vector<torch::Tensor>{w}, torch::optim::AdamOptions(0.01).betas({0.9, 0.999}).eps(1e-8));
                 }},
        // AdamW multiplies by (1 - lr * weight_decay): decay 0.002 at lr 0.01 is weight_decay 0.2.
        RuleCase{"Adam_decay_vs_AdamW", Method::Adam, with(0.01, 1e-8, 0.002),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::AdamW>(
                       std::vector<torch::Tensor>{w},
                       torch::optim::AdamWOptions(0.01).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.2));
                 }},
        RuleCase{"Adagrad_vs_Adagrad", Method::Adagrad, with(0.1, 1e-10),
                 [](torch::Tensor& w) {
                   return std::make_unique<torch::optim::Adagrad>(std::vector<torch::Tensor>{w},
                                                                  torch::optim::AdagradOptions(0.1).eps(1e-10));
                 }}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(UpdateRule, RMSPropFirstStepIsTheSignScaledByOneOverSqrtOneMinusBeta) {
  // v0 = (1 - beta) g^2, so the first step is lr g / (sqrt(1 - beta) |g| + eps): equal size in every coordinate.
  RuleOptions o = with(0.1, 0.0);
  UpdateRule rule(Method::RMSProp, o);
  auto w = torch::zeros({2}, torch::kFloat64);
  rule.step(w, torch::tensor({-8.0, -4.0}, torch::kFloat64));
  const double expected = 0.1 / std::sqrt(0.1);
  EXPECT_NEAR(w[0].item<double>(), expected, 1e-15);
  EXPECT_NEAR(w[1].item<double>(), expected, 1e-15);
}

TEST(UpdateRule, NamesParseAndBadValuesNameTheirFlag) {
  for (Method m : all_methods()) EXPECT_EQ(parse_method(method_name(m)), m);
  EXPECT_EQ(parse_method("rmsprop"), Method::RMSProp);
  EXPECT_FALSE(parse_method("lbfgs").has_value());
  auto message = [](const RuleOptions& o, const std::string& lr_flag) {
    try {
      validate(o, lr_flag);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  RuleOptions o;
  o.lr = 0.0;
  EXPECT_NE(message(o, "--lr-adam").find("--lr-adam"), std::string::npos);
  o = RuleOptions{};
  o.beta = 1.0;
  EXPECT_NE(message(o, "--lr").find("--beta"), std::string::npos);
  o = RuleOptions{};
  o.beta2 = -0.1;
  EXPECT_NE(message(o, "--lr").find("--beta2"), std::string::npos);
  o = RuleOptions{};
  o.epsilon = -1.0;
  EXPECT_NE(message(o, "--lr").find("--epsilon"), std::string::npos);
  EXPECT_EQ(message(RuleOptions{}, "--lr"), "");
}

}  // namespace
}  // namespace tint::optim
