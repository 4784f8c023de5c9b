// The fused single-channel convolution + 2x2 max-pooling equals torch::max_pool2d(torch::conv2d(...)) on the same
// input: values and weight gradients, float32 and bfloat16, with ties, NaN, autocast, each on the fused path (its
// autograd function and kernels); other inputs fall back to LibTorch's.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/autocast_mode.h>

#include <cmath>

#include "fused_checks.h"
#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/ops/conv_max_pool.h"

namespace tint::ops {
namespace {

struct ConvPoolCase {
  int64_t n, c, h, w, kh, kw, ph, pw;
  torch::ScalarType dtype;
};
void PrintTo(const ConvPoolCase& c, std::ostream* os) {
  *os << c.n << "x" << c.c << "x" << c.h << "x" << c.w << " k" << c.kh << "x" << c.kw << " p" << c.ph << "," << c.pw
      << " " << c.dtype;
}

// x (N, 1, H, W) with NHWC strides, as the networks give their greyscale input (the fused path's layout).
torch::Tensor nhwc(const torch::Tensor& x) {
  return torch::empty_strided(x.sizes(), {x.size(2) * x.size(3), 1, x.size(3), 1}, x.options()).copy_(x);
}

using test::max_error;
using test::scale_of;
using test::selected_variant_ran;
using test::take_kernels_run;

::testing::AssertionResult fused(const torch::Tensor& y) { return test::made_by(y, "ConvMaxPool2x2Function"); }

torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, torch::IntArrayRef padding) {
  return torch::max_pool2d(torch::conv2d(x, w, {}, 1, padding), 2);
}

struct Run {
  torch::Tensor y, dw;
  unsigned forward_kernels, backward_kernels;  // the CPU variants whose fused kernels ran (take_kernels_run)
};
// Forward and backward with upstream gradient g of the fused op (or of the reference) on copies of x and w.
template <typename Op>
Run run(const Op& op, const torch::Tensor& x, const torch::Tensor& w, const ConvPoolCase& c, const torch::Tensor& g) {
  auto weight = w.clone().requires_grad_(true);
  take_kernels_run();
  auto y = op(nhwc(x), weight, std::vector<int64_t>{c.ph, c.pw});
  const unsigned forward = take_kernels_run();
  y.backward(g);
  return {y, weight.grad(), forward, take_kernels_run()};
}

// The fused function made r.y, and both passes ran the selected CPU variant's kernels.
::testing::AssertionResult fused(const Run& r) {
  if (auto made = fused(r.y); !made) return made;
  if (auto forward = selected_variant_ran(r.forward_kernels); !forward) return forward << " (forward)";
  if (auto backward = selected_variant_ran(r.backward_kernels); !backward) return backward << " (backward)";
  return ::testing::AssertionSuccess();
}

class ConvMaxPoolMatchesTorch : public ::testing::TestWithParam<ConvPoolCase> {};

TEST_P(ConvMaxPoolMatchesTorch, ExactOnSmallIntegers) {
  // Small integers: every product and sum is exact in float32 and bfloat16 (below 256), so the values must be equal,
  // and windows are full of ties, whose gradient must go to the first in row-major order as in LibTorch.
  const auto& c = GetParam();
  torch::manual_seed(5);
  const auto x = torch::randint(-2, 3, {c.n, 1, c.h, c.w}).to(c.dtype);
  const auto w = torch::randint(-1, 2, {c.c, 1, c.kh, c.kw}).to(c.dtype);
  const auto probe = reference(x, w, {c.ph, c.pw});
  const auto g = torch::randint(-3, 4, probe.sizes()).to(c.dtype);
  const auto ours = run(conv_max_pool2x2, x, w, c, g), ref = run(reference, x, w, c, g);
  EXPECT_TRUE(fused(ours));
  EXPECT_TRUE(ours.y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_EQ(ours.y.scalar_type(), c.dtype);
  EXPECT_TRUE(torch::equal(ours.y, ref.y));
  EXPECT_EQ(ours.dw.scalar_type(), c.dtype);
  EXPECT_EQ(ours.dw.sizes(), w.sizes());
  // The weight gradient sums integers: exact in float32; bfloat16 rounds each total once in both (above 256).
  EXPECT_TRUE(torch::equal(ours.dw, ref.dw)) << max_error(ours.dw, ref.dw);
}

TEST_P(ConvMaxPoolMatchesTorch, CloseOnContinuousValues) {
  const auto& c = GetParam();
  torch::manual_seed(6);
  const auto x = torch::randn({c.n, 1, c.h, c.w}).to(c.dtype);
  const auto w = torch::randn({c.c, 1, c.kh, c.kw}).to(c.dtype);
  const auto g = torch::randn(reference(x, w, {c.ph, c.pw}).sizes()).to(c.dtype);
  const auto ours = run(conv_max_pool2x2, x, w, c, g), ref = run(reference, x, w, c, g);
  EXPECT_TRUE(fused(ours));
  // The sums run in another order: float32 agrees to rounding; bfloat16 stores each value with 8 bits, so a sum
  // near a rounding boundary may round the other way and tie (or untie) a window: the maximum is still within a
  // bfloat16 step, but the gradient may go to another position. bfloat16 gradients are compared exactly on sums
  // that are exact in float32 instead (ExactWhereBFloat16Rounds).
  const bool bf16 = c.dtype == torch::kBFloat16;
  EXPECT_LE(max_error(ours.y, ref.y), (bf16 ? 8e-3 : 1e-5) * scale_of(ref.y));
  if (!bf16) {
    EXPECT_LE(max_error(ours.dw, ref.dw), 1e-5 * scale_of(ref.dw));
  }
}

TEST_P(ConvMaxPoolMatchesTorch, ExactWhereBFloat16Rounds) {
  // Integers up to a few thousand: every sum is exact in float32 in any order, and in bfloat16 most values round
  // (above 256), so the pooling must compare the rounded values, as the separate convolution stores them.
  const auto& c = GetParam();
  if (c.dtype == torch::kBFloat16 && !test::onednn_bf16()) GTEST_SKIP() << test::kNoOneDnnBf16;
  torch::manual_seed(10);
  const auto x = torch::randint(-60, 61, {c.n, 1, c.h, c.w}).to(c.dtype);
  const auto w = torch::randint(-9, 10, {c.c, 1, c.kh, c.kw}).to(c.dtype);
  const auto g = torch::randint(-3, 4, reference(x, w, {c.ph, c.pw}).sizes()).to(c.dtype);
  const auto ours = run(conv_max_pool2x2, x, w, c, g), ref = run(reference, x, w, c, g);
  EXPECT_TRUE(fused(ours));
  EXPECT_TRUE(torch::equal(ours.y, ref.y)) << max_error(ours.y, ref.y);
  EXPECT_TRUE(torch::equal(ours.dw, ref.dw)) << max_error(ours.dw, ref.dw);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvMaxPoolMatchesTorch,
    ::testing::Values(ConvPoolCase{2, 32, 8, 8, 3, 3, 1, 1, torch::kFloat},  // PoolUpsampleNet's first layer, smaller
                      ConvPoolCase{3, 5, 6, 10, 3, 3, 1, 1, torch::kFloat},  // channels not a vector's multiple
                      ConvPoolCase{2, 20, 7, 9, 2, 4, 0, 1, torch::kFloat},  // non-square kernel, uneven padding
                      ConvPoolCase{1, 17, 4, 4, 5, 5, 2, 2, torch::kFloat},  // kernel 5
                      ConvPoolCase{2, 1, 6, 6, 1, 1, 0, 0, torch::kFloat},   // one output channel, kernel 1
                      ConvPoolCase{2, 32, 8, 8, 3, 3, 1, 1, torch::kBFloat16},
                      ConvPoolCase{3, 24, 6, 4, 3, 3, 1, 1, torch::kBFloat16},
                      ConvPoolCase{2, 7, 5, 7, 2, 2, 1, 0, torch::kBFloat16}));

// In bfloat16 the separate convolution stores rounded values, so two sums that differ in float32 can tie once stored,
// and the pooling then picks the first. Here the window's first sum is 1 + 3/512, which rounds to 1 + 1/128, and its
// third is exactly 1 + 1/128: the gradient must go to the first (a float32 comparison, or truncation, would pick
// the third).
TEST(ConvMaxPool, BFloat16ComparesStoredValues) {
  const auto x = torch::tensor({3.0f, 1.0f, -4.0f, 0.0f, 1.0f + 1.0f / 128, -4.0f}).reshape({1, 1, 2, 3});
  const auto w = torch::tensor({1.0f / 512, 1.0f}).reshape({1, 1, 1, 2});
  const ConvPoolCase c{1, 1, 2, 3, 1, 2, 0, 0, torch::kBFloat16};
  const auto g = torch::ones({1, 1, 1, 1}, torch::kBFloat16);
  const auto ours = run(conv_max_pool2x2, x.to(torch::kBFloat16), w.to(torch::kBFloat16), c, g);
  const auto ref = run(reference, x.to(torch::kBFloat16), w.to(torch::kBFloat16), c, g);
  EXPECT_TRUE(fused(ours));
  EXPECT_EQ(ref.y.item<float>(), 1.0f + 1.0f / 128);
  EXPECT_TRUE(torch::equal(ref.dw, torch::tensor({3.0f, 1.0f}).reshape({1, 1, 1, 2}).to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(ours.y, ref.y));
  EXPECT_TRUE(torch::equal(ours.dw, ref.dw)) << ours.dw;
}

// A NaN input makes every convolution value that reads it NaN; the pooling propagates NaN, and where a window holds
// several the gradient goes to the last, as LibTorch's. With a 1 x 1 kernel each value is its own input.
TEST(ConvMaxPool, PropagatesNaNAsLibTorch) {
  auto x = torch::randn({2, 1, 6, 6});
  x.index_put_({1, 0, 2, 3}, std::nanf(""));
  x.index_put_({0, 0, 4, 4}, std::nanf(""));
  x.index_put_({0, 0, 5, 5}, std::nanf(""));  // two NaN in one window
  for (int64_t k : {1, 3}) {
    const auto w = torch::randn({16, 1, k, k});
    const ConvPoolCase c{2, 16, 6, 6, k, k, k / 2, k / 2, torch::kFloat};
    const auto g = torch::randn({2, 16, 3, 3});
    const auto ours = run(conv_max_pool2x2, x, w, c, g), ref = run(reference, x, w, c, g);
    EXPECT_TRUE(fused(ours));
    EXPECT_TRUE(torch::equal(ours.y.isnan(), ref.y.isnan()));
    EXPECT_GT(ours.y.isnan().sum().item<int64_t>(), 0);
    EXPECT_LE(max_error(ours.y.nan_to_num(0), ref.y.nan_to_num(0)), 1e-5 * scale_of(ref.y.nan_to_num(0)));
    EXPECT_TRUE(torch::equal(ours.dw.isnan(), ref.dw.isnan())) << k;
    if (k == 1) {
      EXPECT_TRUE(torch::equal(ours.dw.nan_to_num(0), ref.dw.nan_to_num(0)));
    }
  }
}

// Any NHWC-strided input (a slice of a larger batch, an image cropped from a wider one) and a channels-last weight,
// as the networks hold theirs.
TEST(ConvMaxPool, StridedInputAndChannelsLastWeight) {
  torch::manual_seed(11);
  const auto batch = nhwc(torch::randint(-2, 3, {6, 1, 8, 10}).to(torch::kFloat));
  const auto x = batch.slice(0, 1, 5).slice(3, 1, 9);  // 4 x 1 x 8 x 8, rows of 10
  ASSERT_EQ(x.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  const auto w = torch::randint(-1, 2, {8, 1, 3, 3}).to(torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast);
  const ConvPoolCase c{4, 8, 8, 8, 3, 3, 1, 1, torch::kFloat};
  const auto g = torch::randint(-3, 4, {4, 8, 4, 4}).to(torch::kFloat);
  auto weight = w.clone().requires_grad_(true);
  const auto y = conv_max_pool2x2(x, weight, {1, 1});
  y.backward(g);
  const auto ref = run(reference, x.contiguous(), w, c, g);
  EXPECT_TRUE(fused(y));
  EXPECT_TRUE(torch::equal(y, ref.y));
  EXPECT_TRUE(torch::equal(weight.grad(), ref.dw));
}

// The weight gradient is summed per image and then in image order: the same bits for any thread count.
TEST(ConvMaxPool, WeightGradientDoesNotDependOnThreads) {
  torch::manual_seed(7);
  const auto x = nhwc(torch::randn({9, 1, 8, 8}));
  const auto w = torch::randn({32, 1, 3, 3});
  const auto g = torch::randn({9, 32, 4, 4});
  const ConvPoolCase c{9, 32, 8, 8, 3, 3, 1, 1, torch::kFloat};
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const auto one = run(conv_max_pool2x2, x, w, c, g);
  at::set_num_threads(std::max(2, threads));
  const auto many = run(conv_max_pool2x2, x, w, c, g);
  at::set_num_threads(threads);
  EXPECT_TRUE(fused(one));
  EXPECT_TRUE(fused(many));
  EXPECT_TRUE(torch::equal(one.y, many.y));
  EXPECT_TRUE(torch::equal(one.dw, many.dw));
}

// Under autocast float32 arguments are computed in its type, as conv2d would be; without a backward pass to come the
// values are the same; second-order gradients are refused.
TEST(ConvMaxPool, AutocastNoGradAndSecondOrder) {
  torch::manual_seed(8);
  const auto x = nhwc(torch::randn({2, 1, 6, 6}));
  const auto w = torch::randn({8, 1, 3, 3});
  const auto bf16 = conv_max_pool2x2(x.to(torch::kBFloat16), w.to(torch::kBFloat16), {1, 1});
  {
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    auto weight = w.clone().requires_grad_(true);
    const auto y = conv_max_pool2x2(x, weight, {1, 1});
    const auto dbl = conv_max_pool2x2(x.to(torch::kDouble), w.to(torch::kDouble), {1, 1});  // float64: not cast
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
    EXPECT_TRUE(fused(y));
    EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(torch::equal(y, bf16));
    y.sum().backward();
    EXPECT_EQ(weight.grad().scalar_type(), torch::kFloat);  // through the cast, to the float32 weight
    EXPECT_EQ(dbl.scalar_type(), torch::kDouble);
  }
  const auto plain = conv_max_pool2x2(x, w, {1, 1});
  {
    torch::NoGradGuard no_grad;
    take_kernels_run();
    EXPECT_TRUE(torch::equal(conv_max_pool2x2(x, w.clone().requires_grad_(true), {1, 1}), plain));
    EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  }
  auto weight = w.clone().requires_grad_(true);
  const auto y = conv_max_pool2x2(x, weight, {1, 1});
  EXPECT_TRUE(y.requires_grad());
  EXPECT_THROW(torch::autograd::grad({y.sum()}, {weight}, {}, /*retain_graph=*/true, /*create_graph=*/true),
               c10::Error);
}

// An input that needs a gradient, NCHW strides, several input channels, an odd output or another type: LibTorch's
// operators, with their gradients and their output layout.
TEST(ConvMaxPool, OtherInputsUseLibTorch) {
  torch::manual_seed(9);
  auto x = nhwc(torch::randn({2, 1, 6, 6})).requires_grad_(true);
  const auto w = torch::randn({4, 1, 3, 3});
  conv_max_pool2x2(x, w, {1, 1}).sum().backward();
  auto xr = x.detach().clone().requires_grad_(true);
  reference(xr, w, {1, 1}).sum().backward();
  EXPECT_LE(max_error(x.grad(), xr.grad()), 1e-5 * scale_of(xr.grad()));
  const auto nchw = torch::randn({2, 1, 6, 6});
  const auto y_nchw = conv_max_pool2x2(nchw, w.clone().requires_grad_(true), {1, 1});
  EXPECT_FALSE(fused(y_nchw));
  EXPECT_TRUE(y_nchw.is_contiguous());
  EXPECT_LE(max_error(y_nchw, reference(nchw, w, {1, 1})), 1e-5);
  const auto rgb = torch::randn({2, 3, 6, 6}), w3 = torch::randn({4, 3, 3, 3});
  EXPECT_LE(max_error(conv_max_pool2x2(rgb, w3, {1, 1}), reference(rgb, w3, {1, 1})), 1e-5);
  const auto odd = torch::randn({1, 1, 5, 5});  // output 5 x 5: the pooling drops the last row and column
  EXPECT_LE(max_error(conv_max_pool2x2(odd, w, {1, 1}), reference(odd, w, {1, 1})), 1e-5);
  const auto dbl = torch::randn({1, 1, 4, 4}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(conv_max_pool2x2(dbl, w.to(torch::kDouble), {1, 1}),
                              reference(dbl, w.to(torch::kDouble), {1, 1})));
  EXPECT_THROW(conv_max_pool2x2(torch::randn({2, 6, 6}), w, {1, 1}), c10::Error);
}

}  // namespace
}  // namespace tint::ops
