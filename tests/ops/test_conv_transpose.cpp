// The oneDNN transposed convolution equals torch::conv_transpose2d, forward and both gradients, over a table of
// shapes, strides, paddings, output paddings and dilations.
#include <gtest/gtest.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "tint/ops/conv_transpose.h"

namespace tint::ops {
namespace {

struct TransposeCase {
  int64_t n, c_in, c_out, h, w, k, stride, padding, output_padding, dilation;
  bool bias;
};
void PrintTo(const TransposeCase& c, std::ostream* os) {
  *os << "n" << c.n << " " << c.c_in << "->" << c.c_out << " " << c.h << "x" << c.w << " k" << c.k << " s"
      << c.stride << " p" << c.padding << " op" << c.output_padding << " d" << c.dilation << (c.bias ? " bias" : "");
}

class ConvTransposeMatchesTorch : public ::testing::TestWithParam<TransposeCase> {};

TEST_P(ConvTransposeMatchesTorch, ForwardAndGradients) {
  const auto& c = GetParam();
  torch::manual_seed(7);
  auto x = torch::randn({c.n, c.c_in, c.h, c.w}, torch::requires_grad());
  auto w = torch::randn({c.c_in, c.c_out, c.k, c.k}, torch::requires_grad());
  auto b = c.bias ? torch::randn({c.c_out}, torch::requires_grad()) : torch::Tensor();
  std::vector<int64_t> s{c.stride, c.stride}, p{c.padding, c.padding}, op{c.output_padding, c.output_padding},
      d{c.dilation, c.dilation};

  auto ours = conv_transpose2d(x, w, b, s, p, op, d);
  auto ref = torch::conv_transpose2d(x, w, b, s, p, op, 1, d);
  ASSERT_EQ(ours.sizes(), ref.sizes());
  EXPECT_LT((ours - ref).abs().max().item<double>(), 1e-5 * (1 + ref.abs().max().item<double>()));

  auto g = torch::randn_like(ref);
  std::vector<torch::Tensor> inputs{x, w};
  if (c.bias) inputs.push_back(b);
  auto ours_grad = torch::autograd::grad({ours}, inputs, {g});
  auto ref_grad = torch::autograd::grad({ref}, inputs, {g});
  const char* names[] = {"dx", "dw", "dbias"};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const double scale = 1 + ref_grad[i].abs().max().item<double>();
    EXPECT_LT((ours_grad[i] - ref_grad[i]).abs().max().item<double>(), 1e-5 * scale) << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTransposeMatchesTorch,
                         ::testing::Values(TransposeCase{2, 64, 32, 8, 8, 3, 2, 1, 1, 1, true},   // ConvTransposeNet block3
                                           TransposeCase{3, 32, 24, 16, 16, 3, 2, 1, 1, 1, true},  // block4
                                           TransposeCase{2, 8, 5, 7, 9, 4, 2, 1, 0, 1, true},      // even kernel
                                           TransposeCase{2, 8, 5, 6, 6, 5, 2, 2, 1, 1, false},     // kernel 5
                                           TransposeCase{1, 4, 6, 5, 5, 3, 1, 1, 0, 1, true},      // stride 1
                                           TransposeCase{2, 4, 3, 6, 5, 3, 3, 1, 2, 1, true},      // stride 3
                                           TransposeCase{2, 6, 4, 6, 6, 3, 2, 2, 1, 2, true},      // dilation 2
                                           TransposeCase{1, 3, 2, 4, 4, 2, 2, 0, 0, 1, false}));   // kernel 2

TEST(ConvTransposeDouble, FiniteDifferencesInDouble) {
  // The adjoint construction in double precision against central differences of the op itself.
  torch::manual_seed(3);
  auto x = torch::randn({1, 2, 3, 3}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto w = torch::randn({2, 3, 3, 3}, torch::kFloat64);
  auto y = conv_transpose2d(x, w, {}, {2, 2}, {1, 1}, {1, 1}, {1, 1});
  auto g = torch::randn_like(y);
  auto dx = torch::autograd::grad({y}, {x}, {g})[0];
  const double eps = 1e-6;
  auto flat = x.detach().flatten();
  for (int64_t i = 0; i < flat.numel(); ++i) {
    auto xp = flat.clone(), xm = flat.clone();
    xp[i] += eps;
    xm[i] -= eps;
    auto f = [&](const torch::Tensor& v) {
      return (conv_transpose2d(v.view_as(x), w, {}, {2, 2}, {1, 1}, {1, 1}, {1, 1}) * g).sum().item<double>();
    };
    EXPECT_NEAR((f(xp) - f(xm)) / (2 * eps), dx.flatten()[i].item<double>(), 1e-6);
  }
}

TEST(ConvTransposeAutocast, Bf16UnderAutocastIsCloseToFp32AndGivesFp32WeightGradients) {
  torch::manual_seed(9);
  auto x = torch::randn({4, 16, 8, 8});
  auto w = torch::randn({16, 8, 3, 3}, torch::requires_grad());
  auto ref = torch::conv_transpose2d(x, w, {}, {2, 2}, {1, 1}, {1, 1}, 1, {1, 1});
  torch::Tensor out;
  {
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    out = conv_transpose2d(x, w, {}, {2, 2}, {1, 1}, {1, 1}, {1, 1});
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
  // bf16 keeps 8 bits of mantissa: relative error around 1e-2 of the output's scale.
  EXPECT_LT((out.to(torch::kFloat32) - ref).abs().max().item<float>(), 0.05f * ref.abs().max().item<float>());
  out.to(torch::kFloat32).sum().backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().scalar_type(), torch::kFloat32);  // master weights stay fp32
}

TEST(FastConvTranspose2d, IsADropInForTheTorchModule) {
  torch::manual_seed(5);
  auto opts = torch::nn::ConvTranspose2dOptions(16, 8, 3).stride(2).padding(1).output_padding(1);
  FastConvTranspose2d fast(opts);
  torch::nn::ConvTranspose2d plain(opts);
  torch::NoGradGuard no_grad;
  plain->weight.copy_(fast->weight);
  plain->bias.copy_(fast->bias);
  auto x = torch::randn({4, 16, 8, 8});
  EXPECT_TRUE(torch::allclose(fast->forward(x), plain->forward(x), 1e-5, 1e-5));
  // Same parameter names, so checkpoints are interchangeable.
  EXPECT_EQ(fast->named_parameters().keys(), plain->named_parameters().keys());
}

}  // namespace
}  // namespace tint::ops
