// The fused batchnorm + ReLU equals torch::relu(torch::batch_norm(...)) computed by LibTorch on an NCHW copy of the
// same input: output, running statistics and the three gradients, in training and evaluation, float32 and bfloat16;
// each on the fused path (its autograd function and kernels), or on LibTorch's where the op falls back.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fused_checks.h"
#include "support/tensor_checks.h"
#include "tint/ops/batch_norm_relu.h"

namespace tint::ops {
namespace {

struct BatchNormCase {
  int64_t n, c, h, w;
  bool training;
  torch::ScalarType dtype;
};
void PrintTo(const BatchNormCase& c, std::ostream* os) {
  *os << c.n << "x" << c.c << "x" << c.h << "x" << c.w << (c.training ? " train " : " eval ") << c.dtype;
}

using test::made_by;
using test::max_error;
using test::scale_of;
using test::selected_variant_ran;
using test::take_kernels_run;

struct Params {
  torch::Tensor weight, bias, running_mean, running_var;
};
Params make_params(int64_t c) {
  return {torch::rand({c}) + 0.5, torch::randn({c}) * 0.5, torch::randn({c}) * 0.1, torch::rand({c}) + 0.5};
}

class BatchNormReLUMatchesTorch : public ::testing::TestWithParam<BatchNormCase> {};

TEST_P(BatchNormReLUMatchesTorch, OutputStatisticsAndGradients) {
  const auto& c = GetParam();
  torch::manual_seed(11);
  // Channels with their own offsets and spreads, as convolution outputs have.
  const auto x0 =
      (torch::randn({c.n, c.c, c.h, c.w}) * (torch::rand({1, c.c, 1, 1}) * 3 + 0.1) + torch::randn({1, c.c, 1, 1}) * 2)
          .to(c.dtype);
  const auto p = make_params(c.c);
  auto x = x0.contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
  auto xr = x0.contiguous().requires_grad_(true);
  auto w = p.weight.clone().requires_grad_(true), b = p.bias.clone().requires_grad_(true);
  auto wr = p.weight.clone().requires_grad_(true), br = p.bias.clone().requires_grad_(true);
  auto rm = p.running_mean.clone(), rv = p.running_var.clone();
  auto rmr = p.running_mean.clone(), rvr = p.running_var.clone();

  take_kernels_run();
  const auto ours = batch_norm_relu(x, w, b, rm, rv, c.training, 0.1, 1e-5);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << "forward";
  EXPECT_TRUE(made_by(ours, "BatchNormReLUFunction"));
  const auto ref = torch::relu(torch::batch_norm(xr, wr, br, rmr, rvr, c.training, 0.1, 1e-5, true));
  ASSERT_EQ(ours.sizes(), ref.sizes());
  EXPECT_EQ(ours.scalar_type(), c.dtype);
  EXPECT_TRUE(ours.is_contiguous(torch::MemoryFormat::ChannelsLast));
  // bfloat16 outputs are rounded to 8 bits of mantissa: one rounding step apart at most.
  const double tol = c.dtype == torch::kBFloat16 ? 1e-2 : 1e-5;
  EXPECT_LT(max_error(ours, ref), tol * scale_of(ref));
  EXPECT_LT(max_error(rm, rmr), 1e-5 * scale_of(rmr));
  EXPECT_LT(max_error(rv, rvr), 1e-5 * scale_of(rvr));

  const auto g = torch::randn(ref.sizes()).to(c.dtype);
  const auto ours_grad = torch::autograd::grad({ours}, {x, w, b}, {g.contiguous(torch::MemoryFormat::ChannelsLast)});
  EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << "backward";
  const auto ref_grad = torch::autograd::grad({ref}, {xr, wr, br}, {g});
  const char* names[] = {"dx", "dweight", "dbias"};
  // Weight and bias gradients sum over every pixel: bfloat16 inputs give them a larger absolute error.
  const double grad_tol[] = {tol, c.dtype == torch::kBFloat16 ? 2e-2 : 1e-5, 1e-5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ours_grad[i].scalar_type(), ref_grad[i].scalar_type()) << names[i];
    EXPECT_LT(max_error(ours_grad[i], ref_grad[i]), grad_tol[i] * scale_of(ref_grad[i])) << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BatchNormReLUMatchesTorch,
    ::testing::Values(BatchNormCase{4, 32, 16, 16, true, torch::kFloat},  // ConvTransposeNet block1
                      BatchNormCase{4, 24, 32, 32, true, torch::kFloat},  // block4 (24 colours: a partial vector)
                      BatchNormCase{3, 64, 8, 8, false, torch::kFloat},   // block2, evaluation
                      BatchNormCase{2, 5, 7, 9, true, torch::kFloat},     // odd sizes, rows not a multiple of the block
                      BatchNormCase{1, 1, 3, 1, true, torch::kFloat},     // one channel, three values
                      BatchNormCase{4, 24, 32, 32, true, torch::kBFloat16},
                      BatchNormCase{2, 32, 16, 16, false, torch::kBFloat16}));

// A convolution's bias folded in: the result and all four gradients equal LibTorch's on x + input_bias; in training
// the input bias's gradient is exactly 0 (the normalization removes any per-channel constant).
TEST(BatchNormReLU, InputBiasEqualsAddingItFirst) {
  for (bool training : {true, false}) {
    torch::manual_seed(4);
    const auto x0 = torch::randn({4, 6, 5, 5}) * 2 + 1;
    const auto p = make_params(6);
    const auto b0 = torch::randn({6});
    auto x = x0.contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    auto xr = x0.clone().requires_grad_(true);
    auto b = b0.clone().requires_grad_(true), br = b0.clone().requires_grad_(true);
    auto w = p.weight.clone().requires_grad_(true), wr = p.weight.clone().requires_grad_(true);
    auto rm = p.running_mean.clone(), rv = p.running_var.clone();
    auto rmr = p.running_mean.clone(), rvr = p.running_var.clone();
    take_kernels_run();
    const auto ours = batch_norm_relu(x, w, p.bias, rm, rv, training, 0.1, 1e-5, b);
    EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << training;
    EXPECT_TRUE(made_by(ours, "BatchNormReLUFunction")) << training;
    const auto ref =
        torch::relu(torch::batch_norm(xr + br.view({1, -1, 1, 1}), wr, p.bias, rmr, rvr, training, 0.1, 1e-5, true));
    EXPECT_LT(max_error(ours, ref), 1e-5 * scale_of(ref)) << training;
    EXPECT_LT(max_error(rm, rmr), 1e-6) << training;
    const auto g = torch::randn(ref.sizes());
    const auto grads = torch::autograd::grad({ours}, {x, w, b}, {g});
    EXPECT_TRUE(selected_variant_ran(take_kernels_run())) << training;
    const auto ref_grads = torch::autograd::grad({ref}, {xr, wr, br}, {g});
    for (int i = 0; i < 3; ++i) EXPECT_LT(max_error(grads[i], ref_grads[i]), 1e-4 * scale_of(ref_grads[i])) << i;
    if (training) {
      EXPECT_TRUE(torch::equal(grads[2], torch::zeros({6})));
    }
  }
}

// BatchNorm2d(track_running_stats=false) passes no running statistics; the fused path normalizes by the batch.
TEST(BatchNormReLU, WithoutRunningStatistics) {
  torch::manual_seed(8);
  const auto x0 = torch::randn({3, 5, 4, 4});
  const auto p = make_params(5);
  take_kernels_run();
  const auto ours =
      batch_norm_relu(x0.contiguous(torch::MemoryFormat::ChannelsLast), p.weight, p.bias, {}, {}, true, 0.1, 1e-5);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  const auto ref = torch::relu(torch::batch_norm(x0, p.weight, p.bias, {}, {}, true, 0.1, 1e-5, true));
  EXPECT_LT(max_error(ours, ref), 1e-5 * scale_of(ref));
}

TEST(BatchNormReLU, ResultsDoNotDependOnTheThreadCount) {
  torch::manual_seed(3);
  const auto x = torch::randn({8, 32, 16, 16}).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto p = make_params(32);
  const int threads = at::get_num_threads();
  std::vector<torch::Tensor> outputs;
  for (int t : {1, 2, 3}) {
    at::set_num_threads(t);
    auto xg = x.clone().requires_grad_(true);
    auto w = p.weight.clone().requires_grad_(true);
    auto rm = p.running_mean.clone(), rv = p.running_var.clone();
    auto y = batch_norm_relu(xg, w, p.bias, rm, rv, true, 0.1, 1e-5);
    EXPECT_TRUE(made_by(y, "BatchNormReLUFunction"));
    y.pow(2).sum().backward();
    outputs.push_back(torch::cat({y.flatten(), xg.grad().flatten(), w.grad(), rm, rv}));
  }
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(outputs[0], outputs[1]));
  EXPECT_TRUE(torch::equal(outputs[0], outputs[2]));
}

TEST(BatchNormReLU, NaNPassesThroughLikeTorchRelu) {
  auto x = torch::randn({2, 3, 4, 4}).contiguous(torch::MemoryFormat::ChannelsLast);
  x.index_put_({0, 1, 2, 2}, std::nan(""));
  const auto p = make_params(3);
  take_kernels_run();
  const auto y = batch_norm_relu(x, p.weight, p.bias, p.running_mean.clone(), p.running_var.clone(), true, 0.1, 1e-5);
  EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
  EXPECT_TRUE(y.select(1, 1).isnan().all().item<bool>()) << "channel 1's statistics are NaN";
  EXPECT_FALSE(y.select(1, 0).isnan().any().item<bool>());
}

TEST(BatchNormReLU, OtherLayoutsAndTypesUseLibTorch) {
  torch::manual_seed(5);
  const auto p = make_params(4);
  for (auto x : {torch::randn({2, 4, 3, 3}), torch::randn({2, 4, 3, 3}, torch::kDouble)}) {
    const auto w = p.weight.to(x.scalar_type()), b = p.bias.to(x.scalar_type());
    take_kernels_run();
    const auto ours = batch_norm_relu(x, w, b, {}, {}, true, 0.1, 1e-5);
    EXPECT_EQ(take_kernels_run(), 0u) << "a fused kernel ran for " << x.scalar_type();
    const auto ref = torch::relu(torch::batch_norm(x, w, b, {}, {}, true, 0.1, 1e-5, true));
    EXPECT_TRUE(torch::equal(ours, ref)) << x.scalar_type();
  }
}

TEST(BatchNormReLU, RefusesOneValuePerChannelWhenTraining) {
  const auto p = make_params(3);
  const auto x = torch::randn({1, 3, 1, 1}).contiguous(torch::MemoryFormat::ChannelsLast);
  EXPECT_THROW(batch_norm_relu(x, p.weight, p.bias, p.running_mean.clone(), p.running_var.clone(), true, 0.1, 1e-5),
               c10::Error);
}

// repeats: each value stands for that many. With the values of a 2x nearest upsampling, the result is the
// upsampled input's normalized at its source's pixels, and the running variance counts all of its values; on the
// fused path and on LibTorch's (NCHW).
TEST(BatchNormReLU, RepeatedValuesAreTheUpsampledInputs) {
  torch::manual_seed(21);
  for (auto format : {torch::MemoryFormat::ChannelsLast, torch::MemoryFormat::Contiguous}) {
    const auto x = (torch::randn({3, 6, 4, 5}) * 2 + 1).contiguous(format);
    const auto up = torch::upsample_nearest2d(x, std::vector<int64_t>{8, 10});
    auto p = make_params(6), q = Params{p.weight, p.bias, p.running_mean.clone(), p.running_var.clone()};
    take_kernels_run();
    const auto y = batch_norm_relu(x, p.weight, p.bias, p.running_mean, p.running_var, true, 0.3, 1e-5, {}, 4);
    if (format == torch::MemoryFormat::ChannelsLast) {
      EXPECT_TRUE(selected_variant_ran(take_kernels_run()));
    } else {
      EXPECT_EQ(take_kernels_run(), 0u) << "NCHW is LibTorch's";
    }
    const auto reference =
        torch::relu(torch::batch_norm(up, q.weight, q.bias, q.running_mean, q.running_var, true, 0.3, 1e-5, true));
    EXPECT_LT(max_error(torch::upsample_nearest2d(y, std::vector<int64_t>{8, 10}), reference), 1e-5);
    EXPECT_LT(max_error(p.running_mean, q.running_mean), 1e-6);
    EXPECT_LT(max_error(p.running_var, q.running_var), 1e-6);
  }
  EXPECT_THROW(
      batch_norm_relu(torch::randn({2, 3, 2, 2}), torch::ones({3}), torch::zeros({3}), {}, {}, true, 0.1, 1e-5, {}, 0),
      c10::Error);
  // An empty batch leaves the running statistics as they were.
  auto rm = torch::zeros({3}), rv = torch::ones({3});
  batch_norm_relu(torch::randn({0, 3, 2, 2}), torch::ones({3}), torch::zeros({3}), rm, rv, true, 0.1, 1e-5, {}, 4);
  EXPECT_TRUE(torch::equal(rm, torch::zeros({3})));
  EXPECT_TRUE(torch::equal(rv, torch::ones({3})));
}

}  // namespace
}  // namespace tint::ops
