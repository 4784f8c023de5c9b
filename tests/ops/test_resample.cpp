// The 2x2 max-pooling and 2x nearest upsampling equal LibTorch's torch::max_pool2d / torch::upsample_nearest2d on an
// NCHW copy of the same input: values and gradients, float32 and bfloat16, with ties and NaN, each on the fused path
// (its autograd function and kernels); other inputs fall back to LibTorch's.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fused_checks.h"
#include "tint/ops/resample.h"

namespace tint::ops {
namespace {

struct ResampleCase {
  int64_t n, c, h, w;
  torch::ScalarType dtype;
};
void PrintTo(const ResampleCase& c, std::ostream* os) {
  *os << c.n << "x" << c.c << "x" << c.h << "x" << c.w << " " << c.dtype;
}

torch::Tensor channels_last(const torch::Tensor& t) { return t.contiguous(torch::MemoryFormat::ChannelsLast); }

using test::made_by;
using test::selected_variant_ran;
using test::take_kernels_run;

constexpr const char* kPool = "MaxPool2x2Function";
constexpr const char* kUpsample = "UpsampleNearest2xFunction";

// Forward and backward of op on a channels-last copy of x, and of reference on an NCHW copy, with the same upstream
// gradient; returns {output, gradient} of each. Checks that op's both passes ran fused, as `function`.
template <typename Op, typename Reference>
std::array<torch::Tensor, 4> run_both(const torch::Tensor& x, const Op& op, const char* function,
                                      const Reference& reference) {
  auto ours_in = channels_last(x.clone()).requires_grad_(true);
  auto ref_in = x.clone().contiguous().requires_grad_(true);
  take_kernels_run();
  auto ours = op(ours_in);
  if (std::string(function) != kUpsample) {  // the upsampling's forward pass only copies, with no kernel of its own
    EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << function << " forward";
  }
  EXPECT_TRUE(made_by(ours, function));
  auto ref = reference(ref_in);
  // An NCHW upstream gradient: the ops convert what arrives to channels-last themselves.
  const auto g = torch::randn(ref.sizes()).to(x.scalar_type());
  ours.backward(g);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << function << " backward";
  ref.backward(g);
  return {ours, ours_in.grad(), ref, ref_in.grad()};
}

class ResampleMatchesTorch : public ::testing::TestWithParam<ResampleCase> {};

TEST_P(ResampleMatchesTorch, MaxPoolValuesAndGradients) {
  const auto& c = GetParam();
  torch::manual_seed(3);
  // Small integers: many ties within windows, where the first in row-major order must win as in LibTorch.
  const auto x = torch::randint(-3, 4, {c.n, c.c, c.h, c.w}).to(c.dtype);
  const auto [y, dx, y_ref, dx_ref] =
      run_both(x, max_pool2x2, kPool, [](const torch::Tensor& t) { return torch::max_pool2d(t, 2); });
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(y, y_ref));
  EXPECT_TRUE(torch::equal(dx, dx_ref));
  // Continuous values too (no ties).
  const auto z = torch::randn({c.n, c.c, c.h, c.w}).to(c.dtype);
  const auto [zy, dz, zy_ref, dz_ref] =
      run_both(z, max_pool2x2, kPool, [](const torch::Tensor& t) { return torch::max_pool2d(t, 2); });
  EXPECT_TRUE(torch::equal(zy, zy_ref));
  EXPECT_TRUE(torch::equal(dz, dz_ref));
}

TEST_P(ResampleMatchesTorch, UpsampleValuesAndGradients) {
  const auto& c = GetParam();
  torch::manual_seed(4);
  const auto x = torch::randn({c.n, c.c, c.h, c.w}).to(c.dtype);
  const auto [y, dx, y_ref, dx_ref] = run_both(x, upsample_nearest2x, kUpsample, [&](const torch::Tensor& t) {
    return torch::upsample_nearest2d(t, std::vector<int64_t>{2 * c.h, 2 * c.w});
  });
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(y, y_ref));
  // The same four terms in the same order in float32; bfloat16 gradients round once here (in float32 sums).
  const double tol = c.dtype == torch::kBFloat16 ? 1.6e-2 : 0.0;
  const auto error = (dx.to(torch::kDouble) - dx_ref.to(torch::kDouble)).abs().max().item<double>();
  EXPECT_LE(error, tol * (1 + dx_ref.to(torch::kDouble).abs().max().item<double>()));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ResampleMatchesTorch,
                         ::testing::Values(ResampleCase{2, 32, 8, 8, torch::kFloat},
                                           ResampleCase{3, 24, 16, 6, torch::kFloat},
                                           ResampleCase{1, 5, 2, 4, torch::kFloat},  // channels not a vector's multiple
                                           ResampleCase{2, 1, 4, 6, torch::kFloat},  // one channel
                                           ResampleCase{2, 64, 4, 4, torch::kBFloat16},
                                           ResampleCase{2, 7, 6, 2, torch::kBFloat16}));

TEST(Resample, MaxPoolPropagatesNaNAsLibTorch) {
  auto x = torch::randn({1, 3, 4, 4});
  x.index_put_({0, 1, 2, 3}, std::nanf(""));
  x.index_put_({0, 2, 0, 0}, std::nanf(""));
  x.index_put_({0, 2, 1, 1}, std::nanf(""));  // two NaN in one window: the gradient goes to the last, as LibTorch's
  const auto [y, dx, y_ref, dx_ref] =
      run_both(x, max_pool2x2, kPool, [](const torch::Tensor& t) { return torch::max_pool2d(t, 2); });
  EXPECT_TRUE(torch::equal(y.isnan(), y_ref.isnan()));
  EXPECT_TRUE(torch::equal(y.nan_to_num(0), y_ref.nan_to_num(0)));
  EXPECT_TRUE(torch::equal(dx, dx_ref));
}

// Without a backward pass to come (no grad mode, or an input that needs no gradient) the pooling keeps no choices;
// the values are the same. Second-order gradients are refused.
TEST(Resample, WithoutGradientAndSecondOrder) {
  const auto x = channels_last(torch::randn({2, 8, 4, 4}));
  const auto reference = torch::max_pool2d(x, 2);
  {
    torch::NoGradGuard no_grad;
    take_kernels_run();
    EXPECT_TRUE(torch::equal(max_pool2x2(x), reference));
    EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  }
  EXPECT_TRUE(torch::equal(max_pool2x2(x), reference));
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  auto input = x.clone().requires_grad_(true);
  for (int op = 0; op < 2; ++op) {
    auto y = op == 0 ? max_pool2x2(input) : upsample_nearest2x(input);
    EXPECT_THROW(torch::autograd::grad({y.sum()}, {input}, {}, /*retain_graph=*/true, /*create_graph=*/true),
                 c10::Error);
  }
}

TEST(Resample, OtherInputsUseLibTorch) {
  take_kernels_run();
  const auto odd = channels_last(torch::randn({2, 3, 5, 4}));  // odd height: LibTorch drops the last row
  EXPECT_TRUE(torch::equal(max_pool2x2(odd), torch::max_pool2d(odd, 2)));
  const auto nchw = torch::randn({2, 3, 4, 4});
  EXPECT_TRUE(torch::equal(max_pool2x2(nchw), torch::max_pool2d(nchw, 2)));
  EXPECT_TRUE(torch::equal(upsample_nearest2x(nchw), torch::upsample_nearest2d(nchw, std::vector<int64_t>{8, 8})));
  const auto dbl = channels_last(torch::randn({1, 2, 2, 2}, torch::kDouble));
  EXPECT_TRUE(torch::equal(upsample_nearest2x(dbl), torch::upsample_nearest2d(dbl, std::vector<int64_t>{4, 4})));
  EXPECT_EQ(take_kernels_run(), 0u) << "a fused kernel ran";
}

}  // namespace
}  // namespace tint::ops
