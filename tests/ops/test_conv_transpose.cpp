// The oneDNN transposed convolution equals torch::conv_transpose2d, forward and both gradients, over a table of
// shapes, strides, paddings, output paddings and dilations: in float32 against LibTorch's float32, and in bfloat16
// and on channels-last inputs against LibTorch's float64 on the same values; always through its own autograd function
// (ConvTranspose2dFunction), never LibTorch's slow_conv_transpose2d.
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fused_checks.h"
#include "support/test_support.h"
#include "tint/ops/conv_transpose.h"

namespace tint::ops {
namespace {

using test::made_by;

constexpr const char* kConvTransposeFunction = "ConvTranspose2dFunction";

struct TransposeCase {
  int64_t n, c_in, c_out, h, w, k, stride, padding, output_padding, dilation;
  bool bias;
};
void PrintTo(const TransposeCase& c, std::ostream* os) {
  *os << "n" << c.n << " " << c.c_in << "->" << c.c_out << " " << c.h << "x" << c.w << " k" << c.k << " s" << c.stride
      << " p" << c.padding << " op" << c.output_padding << " d" << c.dilation << (c.bias ? " bias" : "");
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
  EXPECT_TRUE(made_by(ours, kConvTransposeFunction));
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

struct Results {
  torch::Tensor y, dx, dw, db;
};
// conv_transpose2d (the op, or LibTorch's) of c's sizes on x, w and b, and its gradients for upstream gradient g.
template <typename Op>
Results forward_backward(const Op& conv, const TransposeCase& c, const torch::Tensor& x, const torch::Tensor& w,
                         const torch::Tensor& b, const torch::Tensor& g) {
  auto xg = x.detach().clone(x.suggest_memory_format()).requires_grad_(true);
  auto wg = w.detach().clone(w.suggest_memory_format()).requires_grad_(true);
  auto bg = b.detach().clone().requires_grad_(true);
  const std::vector<int64_t> s{c.stride, c.stride}, p{c.padding, c.padding}, op{c.output_padding, c.output_padding},
      d{c.dilation, c.dilation};
  auto y = conv(xg, wg, c.bias ? bg : torch::Tensor(), s, p, op, d);
  const auto grads = torch::autograd::grad({y}, {xg, wg, bg}, {g}, /*retain_graph=*/true, /*create_graph=*/false,
                                           /*allow_unused=*/true);
  return {y, grads[0], grads[1], grads[2]};
}

// The op on x, w, b (and upstream gradient g) in x's type and layout, against LibTorch's conv_transpose2d on float64
// copies of the same values (exact: every bfloat16 and float32 is a float64). Each result is a sum s of n products
// accumulated in float32 by oneDNN, within gamma_n B of the truth t, where
// gamma_n = n 2^-24 / (1 - n 2^-24) and B, the sum of the terms' magnitudes, is the same computation in float64 on
// |x|, |w|, |b|, |g|; s is then rounded to x's type, to nearest: within u |s| (u = 2^-8 in bfloat16, whose
// significand has 8 bits; 2^-24 in float32). The output is rounded twice when a bias is added after the convolution
// (t = t_conv + b). So every element must lie within
//   u |t| + u (1 + u) |t_conv| + (1 + u)^2 gamma_n B   of t (without the middle term for one rounding).
// The bias gradient is not the op's: the bias is added after its function, by LibTorch, whose bfloat16 sum over
// (N, H, W) rounds once per outer loop and thread; it must be exactly LibTorch's sum of the same gradient.
void expect_close_to_float64(const TransposeCase& c, const torch::Tensor& x, const torch::Tensor& w,
                             const torch::Tensor& b, const torch::Tensor& g) {
  const auto type = x.scalar_type();
  const double u = type == torch::kBFloat16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -24);
  const auto ours = forward_backward(conv_transpose2d, c, x, w, b, g);
  EXPECT_TRUE(made_by(ours.y, kConvTransposeFunction));
  if (x.is_contiguous(torch::MemoryFormat::ChannelsLast)) {  // oneDNN's layout in, oneDNN's layout out
    EXPECT_TRUE(ours.y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  }
  auto torch_op = [](const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, torch::IntArrayRef s,
                     torch::IntArrayRef p, torch::IntArrayRef op,
                     torch::IntArrayRef d) { return torch::conv_transpose2d(x, w, b, s, p, op, 1, d); };
  auto f64 = [](const torch::Tensor& t) { return t.to(torch::kDouble).contiguous(); };
  const auto truth = forward_backward(torch_op, c, f64(x), f64(w), f64(b), f64(g));
  const auto bound = forward_backward(torch_op, c, f64(x).abs(), f64(w).abs(), f64(b).abs(), f64(g).abs());
  const auto conv_only = c.bias ? truth.y - f64(b).view({1, -1, 1, 1}) : torch::zeros_like(truth.y);
  // Terms per result: a transposed convolution's output sums at most C_in k^2 products, its input gradient C_out k^2,
  // the weight gradient one per input pixel.
  const struct {
    const char* name;
    torch::Tensor ours, truth, bound, second_rounding;
    int64_t terms;
  } results[] = {{"y", ours.y, truth.y, bound.y, conv_only, c.c_in * c.k * c.k},
                 {"dx", ours.dx, truth.dx, bound.dx, torch::zeros_like(truth.dx), c.c_out * c.k * c.k},
                 {"dw", ours.dw, truth.dw, bound.dw, torch::zeros_like(truth.dw), c.n * c.h * c.w}};
  for (const auto& r : results) {
    ASSERT_TRUE(r.ours.defined()) << r.name;
    EXPECT_EQ(r.ours.scalar_type(), type) << r.name;
    ASSERT_EQ(r.ours.sizes(), r.truth.sizes()) << r.name;
    const double n_eps = static_cast<double>(r.terms) * std::ldexp(1.0, -24), gamma = n_eps / (1 - n_eps);
    const auto tolerance =
        u * r.truth.abs() + u * (1 + u) * r.second_rounding.abs() + (1 + u) * (1 + u) * gamma * r.bound;
    const auto error = (r.ours.to(torch::kDouble) - r.truth).abs();
    EXPECT_TRUE((error <= tolerance).all().item<bool>())
        << r.name << ": error / tolerance reaches " << (error / tolerance).max().item<double>();
  }
  if (c.bias) {
    EXPECT_EQ(ours.db.scalar_type(), type);
    EXPECT_TRUE(torch::equal(ours.db, g.sum({0, 2, 3})));
  }
}

TEST_P(ConvTransposeMatchesTorch, BFloat16AndChannelsLastAgainstFloat64) {
  const auto& c = GetParam();
  torch::manual_seed(17);
  const auto x0 = torch::randn({c.n, c.c_in, c.h, c.w}), w0 = torch::randn({c.c_in, c.c_out, c.k, c.k});
  const auto b0 = torch::randn({c.c_out});
  std::vector<int64_t> s{c.stride, c.stride}, p{c.padding, c.padding}, op{c.output_padding, c.output_padding},
      d{c.dilation, c.dilation};
  const auto g0 = torch::randn_like(torch::conv_transpose2d(x0, w0, {}, s, p, op, 1, d));
  for (auto type : {torch::kBFloat16, torch::kFloat}) {
    if (type == torch::kBFloat16 && !test::onednn_bf16()) continue;  // kNoOneDnnBf16: fp32 channels-last still runs
    for (auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
      if (type == torch::kFloat && format == torch::MemoryFormat::Contiguous) continue;  // ForwardAndGradients
      SCOPED_TRACE(::testing::Message() << type
                                        << (format == torch::MemoryFormat::ChannelsLast ? " channels-last" : ""));
      auto in = [&](const torch::Tensor& t) {
        return t.to(type).contiguous(t.dim() == 4 ? format : torch::MemoryFormat::Contiguous);
      };
      expect_close_to_float64(c, in(x0), in(w0), in(b0), in(g0));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTransposeMatchesTorch,
                         ::testing::Values(TransposeCase{2, 64, 32, 8, 8, 3, 2, 1, 1, 1,
                                                         true},  // ConvTransposeNet block3
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
  EXPECT_TRUE(made_by(y, kConvTransposeFunction));
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
  EXPECT_TRUE(made_by(out, kConvTransposeFunction));
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
  {
    torch::NoGradGuard no_grad;
    plain->weight.copy_(fast->weight);
    plain->bias.copy_(fast->bias);
  }
  auto x = torch::randn({4, 16, 8, 8});
  const auto y = fast->forward(x);
  EXPECT_TRUE(made_by(y, kConvTransposeFunction));
  EXPECT_TRUE(torch::allclose(y, plain->forward(x), 1e-5, 1e-5));
  // Same parameter names, so checkpoints are interchangeable.
  EXPECT_EQ(fast->named_parameters().keys(), plain->named_parameters().keys());
}

}  // namespace
}  // namespace tint::ops
