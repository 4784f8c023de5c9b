// The fused softmax cross-entropy equals the direct formula computed in double on the same logits (loss and
// gradient), for float32 and bfloat16, mean and sum, on the fused path (its autograd function and kernel), with each
// of its two kernels (lanes and wide, ops/cross_entropy_kernels.h) at every width, and by finite differences; NaN and
// infinite logits, bad ids, thread-count independence; other inputs on LibTorch's path; and the vectorized exp and
// log it is built on, against std::exp and std::log.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "fused_checks.h"
#include "ops/cpu_loops.h"
#include "ops/cross_entropy_kernels.h"
#include "tint/ops/cross_entropy.h"

namespace tint::ops {
namespace {

using test::made_by;
using test::selected_variant_ran;
using test::take_kernels_run;

constexpr const char* kCrossEntropyFunction = "CrossEntropyFunction";

struct CrossEntropyCase {
  int64_t rows, classes;
  torch::ScalarType dtype;
  bool sum;
  bool weighted = false;  // a weight per row (class rebalancing)
};
void PrintTo(const CrossEntropyCase& c, std::ostream* os) {
  *os << c.rows << "x" << c.classes << " " << c.dtype << (c.sum ? " sum" : " mean") << (c.weighted ? " weighted" : "");
}

class CrossEntropyMatchesFormula : public ::testing::TestWithParam<CrossEntropyCase> {};

TEST_P(CrossEntropyMatchesFormula, LossAndGradient) {
  const auto& c = GetParam();
  torch::manual_seed(13);
  auto logits = (torch::randn({c.rows, c.classes}) * 4).to(c.dtype).requires_grad_(true);
  const auto ids = torch::randint(0, c.classes, {c.rows});
  const auto weights = c.weighted ? torch::rand({c.rows}) * 3 : torch::Tensor();
  // Direct, in double on the very values the op reads: -log softmax at the id (times the row's weight), averaged or
  // summed over rows.
  auto x = logits.detach().to(torch::kDouble).requires_grad_(true);
  auto picked = -torch::log_softmax(x, 1).gather(1, ids.unsqueeze(1)).squeeze(1);
  if (c.weighted) picked = picked * weights.to(torch::kDouble);
  auto reference = c.sum ? picked.sum() : picked.mean();
  reference.backward();

  take_kernels_run();
  auto loss = cross_entropy(logits, ids, c.sum, weights);
  // The gradient is computed in the forward pass's kernel; the backward pass is the function's, which scales it.
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  EXPECT_TRUE(made_by(loss, kCrossEntropyFunction));
  EXPECT_EQ(loss.scalar_type(), torch::kFloat);
  EXPECT_EQ(loss.dim(), 0);
  const double r = reference.item<double>();
  EXPECT_NEAR(loss.item<double>(), r, 2e-6 * std::abs(r) + 1e-6);
  loss.backward();
  ASSERT_EQ(logits.grad().scalar_type(), c.dtype);
  // bfloat16 gradients are rounded to 8 bits of mantissa.
  const double tol = c.dtype == torch::kBFloat16 ? 8e-3 : 2e-6;
  const auto error = (logits.grad().to(torch::kDouble) - x.grad()).abs().max().item<double>();
  EXPECT_LE(error, tol * x.grad().abs().max().item<double>());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CrossEntropyMatchesFormula,
    ::testing::Values(CrossEntropyCase{3000, 24, torch::kFloat, false},  // 24 colours, several blocks
                      CrossEntropyCase{37, 24, torch::kFloat, true},     // a partial group of rows
                      CrossEntropyCase{300, 3, torch::kFloat, false}, CrossEntropyCase{64, 200, torch::kFloat, true},
                      CrossEntropyCase{5, 1, torch::kFloat, false},  // one class: loss 0, gradient 0
                      CrossEntropyCase{2000, 24, torch::kBFloat16, false},
                      CrossEntropyCase{50, 7, torch::kBFloat16, true},
                      // Weighted rows: the ab bins of all CIFAR-10 (244), of the horses (181)
                      CrossEntropyCase{3000, 244, torch::kFloat, false, true},
                      CrossEntropyCase{37, 24, torch::kFloat, true, true},
                      CrossEntropyCase{1100, 181, torch::kBFloat16, false, true}));

// Each kernel at widths on both sides of the dispatch threshold and at the ab bins' (244 for all of CIFAR-10, 313 in
// Zhang et al.), against a brute force in double written here (std::exp and std::log, row by row, not LibTorch's
// log_softmax): the loss and every gradient value, hard rows with and without weights.
struct KernelCase {
  cpu::RowKernel kernel;
  int64_t rows, classes;
  torch::ScalarType dtype;
  bool sum, weighted;
};
void PrintTo(const KernelCase& c, std::ostream* os) {
  *os << (c.kernel == cpu::RowKernel::wide ? "wide " : "lanes ") << c.rows << "x" << c.classes << " " << c.dtype
      << (c.sum ? " sum" : " mean") << (c.weighted ? " weighted" : "");
}

// The loss and the gradient of logits (float values of the op's input) by the formula, in double.
std::pair<double, std::vector<double>> brute_force(const torch::Tensor& logits, const torch::Tensor& ids,
                                                   const torch::Tensor& weights, bool sum) {
  const auto x = logits.to(torch::kDouble).contiguous();
  const int64_t rows = x.size(0), k = x.size(1);
  const double* px = x.data_ptr<double>();
  const int64_t* pid = ids.data_ptr<int64_t>();
  double total = 0.0;
  std::vector<double> gradient(rows * k);
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = px + r * k;
    double m = row[0];
    for (int64_t j = 1; j < k; ++j) m = std::max(m, row[j]);
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s += std::exp(row[j] - m);
    const double w = weights.defined() ? weights[r].item<double>() : 1.0;
    total += w * (m + std::log(s) - row[pid[r]]);
    const double scale = w / (sum ? 1.0 : static_cast<double>(rows));
    for (int64_t j = 0; j < k; ++j) {
      gradient[r * k + j] = (std::exp(row[j] - m) / s - (j == pid[r] ? 1.0 : 0.0)) * scale;
    }
  }
  return {sum ? total : total / rows, gradient};
}

class CrossEntropyKernelsMatchBruteForce : public ::testing::TestWithParam<KernelCase> {};

TEST_P(CrossEntropyKernelsMatchBruteForce, LossAndGradient) {
  const auto& c = GetParam();
  torch::manual_seed(c.classes + 7 * c.rows);
  auto logits = (torch::randn({c.rows, c.classes}) * 4).to(c.dtype).requires_grad_(true);
  const auto ids = torch::randint(0, c.classes, {c.rows});
  const auto weights = c.weighted ? torch::rand({c.rows}) * 3 : torch::Tensor();
  const auto [expected, expected_gradient] = brute_force(logits.detach(), ids, weights, c.sum);

  take_kernels_run();
  auto loss = cpu::cross_entropy_with(c.kernel, logits, ids, c.sum, weights);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  EXPECT_TRUE(made_by(loss, kCrossEntropyFunction));
  EXPECT_NEAR(loss.item<double>(), expected, 2e-6 * std::abs(expected) + 1e-6);
  loss.backward();
  ASSERT_EQ(logits.grad().scalar_type(), c.dtype);
  const auto gradient = logits.grad().to(torch::kDouble).contiguous();
  const double* pg = gradient.data_ptr<double>();
  double largest = 0.0, error = 0.0;
  for (size_t i = 0; i < expected_gradient.size(); ++i) {
    largest = std::max(largest, std::abs(expected_gradient[i]));
    error = std::max(error, std::abs(pg[i] - expected_gradient[i]));
  }
  // float32: a few ulp of the largest value; bfloat16 gradients are rounded to 8 bits of mantissa.
  EXPECT_LE(error, (c.dtype == torch::kBFloat16 ? 8e-3 : 2e-6) * largest);
}

std::vector<KernelCase> kernel_cases() {
  std::vector<KernelCase> cases;
  for (auto kernel : {cpu::RowKernel::lanes, cpu::RowKernel::wide}) {
    for (int64_t classes : {1, 17, 63, 64, 244, 313}) {
      // 1100 rows: a whole block of 1024 and a partial one ending in a partial lane group (76 = 4 x 16 + 12).
      cases.push_back({kernel, 1100, classes, torch::kFloat, false, true});
      cases.push_back({kernel, 37, classes, torch::kFloat, true, false});
      cases.push_back({kernel, 37, classes, torch::kBFloat16, false, false});
      cases.push_back({kernel, 5, classes, torch::kBFloat16, true, true});
    }
  }
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Widths, CrossEntropyKernelsMatchBruteForce, ::testing::ValuesIn(kernel_cases()));

// cross_entropy runs the lanes kernel below kWideClasses and the wide one from it on: its results equal, to the bit,
// those of the kernel forced, and the two kernels agree within float rounding (their sums run in other orders).
TEST(CrossEntropy, ChoosesTheKernelByWidth) {
  for (int64_t classes : {cpu::kWideClasses - 1, cpu::kWideClasses, int64_t{244}}) {
    torch::manual_seed(classes);
    const auto base = torch::randn({300, classes}) * 3;
    const auto ids = torch::randint(0, classes, {300});
    const auto weights = torch::rand({300});
    auto run = [&](cpu::RowKernel kernel) {
      auto x = base.clone().requires_grad_(true);
      auto loss = cpu::cross_entropy_with(kernel, x, ids, false, weights);
      loss.backward();
      return std::make_pair(loss, x.grad());
    };
    const auto chosen = run(cpu::RowKernel::by_width);
    const auto forced = run(classes >= cpu::kWideClasses ? cpu::RowKernel::wide : cpu::RowKernel::lanes);
    const auto other = run(classes >= cpu::kWideClasses ? cpu::RowKernel::lanes : cpu::RowKernel::wide);
    EXPECT_TRUE(torch::equal(chosen.first, forced.first)) << classes;
    EXPECT_TRUE(torch::equal(chosen.second, forced.second)) << classes;
    EXPECT_NEAR(chosen.first.item<double>(), other.first.item<double>(), 1e-6 * other.first.item<double>());
    EXPECT_TRUE(torch::allclose(chosen.second, other.second, 1e-5, 1e-9)) << classes;
  }
}

// The gradient by central differences of the loss itself (float32, summed, so that a step of 1e-2 moves it by much
// more than its rounding): every kernel's gradient is the derivative of the loss it returns.
TEST(CrossEntropy, GradientMatchesFiniteDifferences) {
  for (auto kernel : {cpu::RowKernel::lanes, cpu::RowKernel::wide}) {
    torch::manual_seed(3);
    const int64_t rows = 3, classes = 244;
    const auto base = torch::randn({rows, classes});
    const auto ids = torch::randint(0, classes, {rows});
    const auto weights = torch::rand({rows}) + 0.5;
    auto x = base.clone().requires_grad_(true);
    cpu::cross_entropy_with(kernel, x, ids, true, weights).backward();
    const double h = 1e-2;
    for (int64_t r = 0; r < rows; ++r) {
      // The labelled logit (gradient near weight * (p - 1)), the row's largest and two others.
      for (int64_t j : {ids[r].item<int64_t>(), base[r].argmax().item<int64_t>(), int64_t{0}, classes - 1}) {
        auto plus = base.clone(), minus = base.clone();
        plus[r][j] += h, minus[r][j] -= h;
        torch::NoGradGuard no_grad;
        const double difference = (cpu::cross_entropy_with(kernel, plus, ids, true, weights).item<double>() -
                                   cpu::cross_entropy_with(kernel, minus, ids, true, weights).item<double>()) /
                                  (2 * h);
        EXPECT_NEAR(x.grad()[r][j].item<double>(), difference, 2e-3) << "row " << r << " class " << j;
      }
    }
  }
}

// Weights on LibTorch's path (NCHW logits) mean the same: each pixel's term times its weight, then mean or sum.
TEST(CrossEntropy, WeightsOnLibTorchsPathMatchTheFormula) {
  torch::manual_seed(5);
  const auto logits = torch::randn({2, 9, 3, 4});
  const auto ids = torch::randint(0, 9, {2, 3, 4});
  const auto weights = torch::rand({2, 3, 4});
  const auto per_pixel = -torch::log_softmax(logits.to(torch::kDouble), 1).gather(1, ids.unsqueeze(1)).squeeze(1);
  take_kernels_run();
  for (bool sum : {false, true}) {
    const auto loss = cross_entropy(logits, ids, sum, weights);
    EXPECT_FALSE(made_by(loss, kCrossEntropyFunction));
    const auto expected = per_pixel * weights.to(torch::kDouble);
    EXPECT_NEAR(loss.item<double>(), (sum ? expected.sum() : expected.mean()).item<double>(), 1e-5);
  }
  EXPECT_EQ(take_kernels_run(), 0u);
  EXPECT_THROW(cross_entropy(logits.permute({0, 2, 3, 1}).reshape({-1, 9}), ids.flatten(), false, weights),
               c10::Error);  // weights not the shape of ids
}

TEST(CrossEntropy, LargeLogitsDoNotOverflow) {
  for (auto kernel : {cpu::RowKernel::lanes, cpu::RowKernel::wide}) {
    const auto logits = torch::tensor({{1000.0f, 0.0f, -1000.0f}, {-5000.0f, -5001.0f, -5002.0f}});
    const auto ids = torch::tensor({0, 2});
    // Row 0: log(1 + e^-1000 + e^-2000) ~ 0; row 1: 2 + log(1 + e^-1 + e^-2).
    const double expected = (0.0 + 2.0 + std::log(1 + std::exp(-1.0) + std::exp(-2.0))) / 2;
    take_kernels_run();
    EXPECT_NEAR(cpu::cross_entropy_with(kernel, logits, ids, false, {}).item<double>(), expected, 1e-5);
    EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  }
}

TEST(CrossEntropy, NonFiniteLogitsGiveNaNAsLibTorch) {
  namespace F = torch::nn::functional;
  for (auto kernel : {cpu::RowKernel::lanes, cpu::RowKernel::wide}) {
    auto cross_entropy = [kernel](const torch::Tensor& x, const torch::Tensor& ids) {
      return cpu::cross_entropy_with(kernel, x, ids, false, {});
    };
    for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
      auto logits = torch::randn({40, 24});
      logits.index_put_({17, 3}, bad);
      const auto ids = torch::randint(0, 24, {40});
      take_kernels_run();
      const auto ours = cross_entropy(logits, ids);
      EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << bad;
      const auto ref = F::cross_entropy(logits, ids);
      EXPECT_EQ(std::isnan(ours.item<float>()), std::isnan(ref.item<float>())) << bad;
      EXPECT_EQ(std::isinf(ours.item<float>()), std::isinf(ref.item<float>())) << bad;
    }
    // A -inf logit is a probability of 0: the loss stays finite unless it is the labelled one.
    auto with_minus_inf = torch::randn({4, 5});
    with_minus_inf.index_put_({1, 2}, -INFINITY);
    const auto other = torch::tensor({0, 1, 3, 4}), labelled = torch::tensor({0, 2, 3, 4});
    const auto finite = cross_entropy(with_minus_inf, other);
    EXPECT_NEAR(finite.item<float>(), torch::nn::functional::cross_entropy(with_minus_inf, other).item<float>(), 1e-5);
    EXPECT_TRUE(std::isinf(cross_entropy(with_minus_inf, labelled).item<float>()));
    auto logits = torch::randn({40, 24}).requires_grad_(true);
    {
      torch::NoGradGuard no_grad;
      logits.index_put_({5, 0}, std::nanf(""));
    }
    auto loss = cross_entropy(logits, torch::zeros({40}, torch::kLong));
    EXPECT_TRUE(made_by(loss, kCrossEntropyFunction));
    EXPECT_TRUE(std::isnan(loss.item<float>()));
    loss.backward();
    EXPECT_TRUE(logits.grad()[5].isnan().all().item<bool>()) << "the NaN row's gradient";
    EXPECT_FALSE(logits.grad()[6].isnan().any().item<bool>());
  }
}

// The gradient is computed with the loss and kept: a scaled loss scales it, and a graph kept for a second backward
// pass gives the same gradient again (accumulated into .grad), whether the logits are a leaf or not.
TEST(CrossEntropy, GradientFollowsTheLossScaleAndRepeatedBackward) {
  torch::manual_seed(5);
  const auto base = torch::randn({70, 24});
  const auto ids = torch::randint(0, 24, {70});
  auto x = base.clone().requires_grad_(true);
  cross_entropy(x, ids).backward();
  const auto once = x.grad().clone();

  auto scaled = base.clone().requires_grad_(true);
  const auto scaled_loss = cross_entropy(scaled, ids) * -2.5f;
  EXPECT_TRUE(made_by(scaled_loss, kCrossEntropyFunction));
  scaled_loss.backward();
  EXPECT_TRUE(torch::allclose(scaled.grad(), once * -2.5f, 1e-6, 1e-8));

  for (bool leaf : {true, false}) {
    auto y = base.clone().requires_grad_(true);
    auto logits = leaf ? y : y * 1.0f;
    auto loss = cross_entropy(logits, ids);
    EXPECT_TRUE(made_by(loss, kCrossEntropyFunction));
    loss.backward({}, /*retain_graph=*/true);
    loss.backward({}, /*retain_graph=*/true);
    loss.backward();
    EXPECT_TRUE(torch::allclose(y.grad(), once * 3, 1e-6, 1e-8)) << (leaf ? "leaf" : "not a leaf");
  }
}

// The gradient handed out is the one kept for a second pass: changing it in place makes that pass fail loudly
// (LibTorch's version check) instead of returning changed values. A bfloat16 loss scaled before backward rounds its
// gradient twice, still within bfloat16 precision. Second-order gradients are refused.
TEST(CrossEntropy, KeptGradientIsGuardedAndScaledInBFloat16) {
  torch::manual_seed(6);
  auto x = torch::randn({50, 24}).requires_grad_(true);
  const auto ids = torch::randint(0, 24, {50});
  auto loss = cross_entropy(x, ids);
  EXPECT_TRUE(made_by(loss, kCrossEntropyFunction));
  auto first = torch::autograd::grad({loss}, {x}, {}, /*retain_graph=*/true)[0];
  first.mul_(2);
  EXPECT_THROW(torch::autograd::grad({loss}, {x}), c10::Error);

  const auto base = torch::randn({70, 24}).to(torch::kBFloat16);
  auto b = base.clone().requires_grad_(true);
  const auto bf16_loss = cross_entropy(b, ids.repeat({2}).narrow(0, 0, 70)) * 3.0f;
  EXPECT_TRUE(made_by(bf16_loss, kCrossEntropyFunction));
  bf16_loss.backward();
  auto reference = base.to(torch::kDouble).requires_grad_(true);
  (torch::nn::functional::cross_entropy(reference, ids.repeat({2}).narrow(0, 0, 70)) * 3.0).backward();
  const auto error = (b.grad().to(torch::kDouble) - reference.grad()).abs().max().item<double>();
  EXPECT_LE(error, 1.6e-2 * reference.grad().abs().max().item<double>());

  auto y = torch::randn({20, 5}).requires_grad_(true);
  auto l = cross_entropy(y, torch::zeros({20}, torch::kLong));
  EXPECT_TRUE(made_by(l, kCrossEntropyFunction));
  EXPECT_THROW(torch::autograd::grad({l}, {y}, {}, /*retain_graph=*/true, /*create_graph=*/true), c10::Error);
}

TEST(CrossEntropy, IdOutOfRangeThrowsNamingIt) {
  const auto logits = torch::randn({20, 4});
  auto ids = torch::zeros({20}, torch::kLong);
  ids[11] = 4;
  try {
    cross_entropy(logits, ids);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("class id 4 of row 11"), std::string::npos)
        << e.what_without_backtrace();
  }
  ids[11] = -1;
  EXPECT_THROW(cross_entropy(logits, ids), c10::Error);
}

TEST(CrossEntropy, ResultsDoNotDependOnTheThreadCount) {
  for (int64_t classes : {24, 244}) {  // the lanes and the wide kernel
    torch::manual_seed(2);
    const auto base = torch::randn({5000, classes});
    const auto ids = torch::randint(0, classes, {5000});
    const int threads = at::get_num_threads();
    std::vector<torch::Tensor> results;
    for (int t : {1, 2, 3}) {
      at::set_num_threads(t);
      auto x = base.clone().requires_grad_(true);
      auto loss = cross_entropy(x, ids);
      EXPECT_TRUE(made_by(loss, kCrossEntropyFunction)) << t;
      loss.backward();
      results.push_back(torch::cat({loss.reshape({1}), x.grad().flatten()}));
    }
    at::set_num_threads(threads);
    EXPECT_TRUE(torch::equal(results[0], results[1])) << classes;
    EXPECT_TRUE(torch::equal(results[0], results[2])) << classes;
  }
}

// bfloat16 logits in a layout the fused path does not take are still computed in float32 (as autocast would).
TEST(CrossEntropy, BFloat16OnLibTorchsPathIsComputedInFloat32) {
  torch::manual_seed(12);
  const auto logits = (torch::randn({2, 24, 4, 4}) * 3).to(torch::kBFloat16);  // NCHW: LibTorch's 4-D path
  const auto ids = torch::randint(0, 24, {2, 4, 4});
  const double in_float = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), ids).item<double>();
  take_kernels_run();
  EXPECT_NEAR(cross_entropy(logits, ids).item<double>(), in_float, 1e-6);
  EXPECT_EQ(take_kernels_run(), 0u) << "a fused kernel ran";
}

TEST(CrossEntropy, OtherInputsUseLibTorch) {
  namespace F = torch::nn::functional;
  const auto logits = torch::randn({30, 5}, torch::kDouble);
  const auto ids = torch::randint(0, 5, {30});
  take_kernels_run();
  EXPECT_TRUE(torch::equal(cross_entropy(logits, ids), F::cross_entropy(logits, ids)));
  const auto strided = torch::randn({5, 30}).t();  // not contiguous
  EXPECT_TRUE(torch::equal(cross_entropy(strided, ids), F::cross_entropy(strided, ids)));
  EXPECT_EQ(take_kernels_run(), 0u) << "a fused kernel ran";
}

// exp_nonpositive against std::exp (in double) on every 61st float in [-87, 0] and on the range ends.
TEST(CpuLoops, ExpNonPositiveIsWithinOneAndAHalfUlp) {
  double worst = 0;
  float worst_x = 0;
  auto check = [&](float x) {
    const double exact = std::exp(static_cast<double>(x));
    const double ulp = std::nextafter(static_cast<float>(exact), INFINITY) - static_cast<float>(exact);
    const double error = std::abs(cpu::exp_nonpositive(x) - exact) / ulp;
    if (error > worst) worst = error, worst_x = x;
  };
  const float start = -87.0f;
  uint32_t first;
  std::memcpy(&first, &start, sizeof first);
  for (uint32_t bits = first; bits > 0x80000000u; bits -= 61) {  // negative floats: smaller patterns are nearer 0
    float x;
    std::memcpy(&x, &bits, sizeof x);
    check(x);
  }
  check(0.0f), check(-0.0f), check(-87.0f), check(-1e-30f);
  EXPECT_LE(worst, 1.5) << "at x = " << worst_x;
  EXPECT_EQ(cpu::exp_nonpositive(0.0f), 1.0f);
}

}  // namespace
}  // namespace tint::ops

namespace tint::ops {
namespace {

// log_at_least_one against std::log (in double) on every 61st float in [1, 2^20] and on powers of two.
TEST(CpuLoops, LogAtLeastOneIsWithinOneAndAHalfUlp) {
  double worst = 0;
  float worst_x = 0;
  auto check = [&](float x) {
    const double exact = std::log(static_cast<double>(x));
    const float rounded = static_cast<float>(exact);
    const double ulp = rounded == 0.0f ? std::nextafter(0.0f, 1.0f) : std::nextafter(rounded, INFINITY) - rounded;
    const double error = std::abs(cpu::log_at_least_one(x) - exact) / ulp;
    if (error > worst) worst = error, worst_x = x;
  };
  uint32_t first, last;
  const float from = 1.0f, to = 1048576.0f;
  std::memcpy(&first, &from, sizeof first);
  std::memcpy(&last, &to, sizeof last);
  for (uint32_t bits = first; bits <= last; bits += 61) {
    float x;
    std::memcpy(&x, &bits, sizeof x);
    check(x);
  }
  for (float x = 1.0f; x <= to; x *= 2) check(x), check(std::nextafter(x, 0.0f) < 1.0f ? x : std::nextafter(x, 0.0f));
  EXPECT_LE(worst, 1.5) << "at x = " << worst_x;
  EXPECT_EQ(cpu::log_at_least_one(1.0f), 0.0f);
}

}  // namespace
}  // namespace tint::ops
