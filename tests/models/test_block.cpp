// A Block runs as the plain Sequential of the same modules would: outputs, gradients, running statistics and the
// batch counter, in training (several steps) and evaluation, for each layer pattern it fuses (see layers.h).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <set>
#include <string>

#include "support/tensor_checks.h"
#include "tint/models/layers.h"

namespace tint::models {
namespace {

namespace nn = torch::nn;

using test::max_error;
using test::scale_of;
// t with NHWC strides spelled out: contiguous(ChannelsLast) leaves a one-channel tensor's NCHW strides, and the
// convolution after then returns NCHW (the networks give their greyscale input these strides too).
torch::Tensor nhwc(const torch::Tensor& t) {
  const int64_t c = t.size(1), h = t.size(2), w = t.size(3);
  return torch::empty_strided(t.sizes(), {c * h * w, 1, w * c, c}).copy_(t);
}

struct Stack {
  const char* name;
  std::function<std::vector<nn::AnyModule>(c10::optional<double> momentum)> layers;  // fresh modules each call
  std::vector<std::string> fused;  // autograd nodes that the Block's graph must contain
  int64_t in_channels = 3;
  bool input_gradient = true;  // whether the input requires a gradient (a network's greyscale input does not)
};

// The names of every node of the graph that produced y.
std::string graph_of(const torch::Tensor& y) {
  std::string names;
  std::vector<torch::autograd::Node*> stack{y.grad_fn().get()};
  std::set<torch::autograd::Node*> seen;
  while (!stack.empty()) {
    auto* node = stack.back();
    stack.pop_back();
    if (node == nullptr || !seen.insert(node).second) continue;
    names += node->name() + "\n";
    for (const auto& edge : node->next_edges()) stack.push_back(edge.function.get());
  }
  return names;
}
void PrintTo(const Stack& s, std::ostream* os) { *os << s.name; }

nn::AnyModule conv(int in, int out) { return nn::AnyModule(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1))); }
nn::AnyModule same_conv(int in, int out, int kernel) { return nn::AnyModule(SameConv2d(in, out, kernel)); }
nn::AnyModule batch_norm(int c, c10::optional<double> momentum) {
  return nn::AnyModule(nn::BatchNorm2d(nn::BatchNorm2dOptions(c).momentum(momentum)));
}
nn::AnyModule relu() { return nn::AnyModule(nn::ReLU()); }
nn::AnyModule max_pool() { return nn::AnyModule(nn::MaxPool2d(nn::MaxPool2dOptions(2))); }
nn::AnyModule upsample() {
  return nn::AnyModule(
      nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)));
}

const std::string kBatchNorm = "BatchNormReLUFunction", kPool = "MaxPool2x2Function",
                  kUpsample = "UpsampleNearest2xFunction", kConvPool = "ConvMaxPool2x2Function";
const Stack kStacks[] = {
    {"conv_bn_relu",
     [](auto m) {
       return std::vector{conv(3, 8), batch_norm(8, m), relu()};
     },
     {kBatchNorm}},
    {"conv_maxpool_bn_relu",
     [](auto m) {
       return std::vector{conv(3, 8), max_pool(), batch_norm(8, m), relu()};
     },
     {kPool, kBatchNorm}},
    {"conv_upsample_bn_relu",
     [](auto m) {
       return std::vector{conv(3, 8), upsample(), batch_norm(8, m), relu()};
     },
     {kBatchNorm, kUpsample}},
    {"upsample_bn_relu",
     [](auto m) {
       return std::vector{upsample(), batch_norm(3, m), relu()};
     },
     {kBatchNorm, kUpsample}},
    {"maxpool_bn_relu_conv",
     [](auto m) {
       return std::vector{max_pool(), batch_norm(3, m), relu(), conv(3, 4)};
     },
     {kPool, kBatchNorm}},
    {"conv_maxpool_upsample",
     [](auto) {
       return std::vector{conv(3, 5), max_pool(), upsample()};
     },
     {kPool, kUpsample}},
    {"same_conv_maxpool_bn_relu",
     [](auto m) {
       return std::vector{same_conv(3, 8, 3), max_pool(), batch_norm(8, m), relu()};
     },
     {kPool, kBatchNorm}},
    {"even_same_conv_upsample_bn_relu",
     [](auto m) {
       return std::vector{same_conv(3, 8, 4), upsample(), batch_norm(8, m), relu()};
     },
     {kBatchNorm, kUpsample}},
    // PoolUpsampleNet's first block, on a greyscale input: the convolution and pooling run as one operation.
    {"grey_same_conv_maxpool_bn_relu",
     [](auto m) {
       return std::vector{same_conv(1, 32, 3), max_pool(), batch_norm(32, m), relu()};
     },
     {kConvPool, kBatchNorm},
     1,
     false},
    {"grey_even_same_conv_maxpool_bn_relu",
     [](auto m) {
       return std::vector{same_conv(1, 8, 2), max_pool(), batch_norm(8, m), relu()};
     },
     {kConvPool, kBatchNorm},
     1,
     false},
    {"grey_conv_maxpool_bn_relu_with_input_gradient",
     [](auto m) {
       return std::vector{conv(1, 8), max_pool(), batch_norm(8, m), relu()};
     },
     {kPool, kBatchNorm},
     1},
};

class BlockMatchesSequential : public ::testing::TestWithParam<Stack> {};

TEST_P(BlockMatchesSequential, OutputsGradientsAndStatistics) {
  for (auto momentum : {c10::optional<double>(0.1), c10::optional<double>()}) {  // none: a cumulative average
    torch::manual_seed(9);
    Block block;
    nn::Sequential plain;
    for (auto& m : GetParam().layers(momentum)) block->push_back(m);
    for (auto& m : GetParam().layers(momentum)) plain->push_back(m);
    {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < block->parameters().size(); ++i) plain->parameters()[i].copy_(block->parameters()[i]);
    }
    for (int step = 0; step < 3; ++step) {
      const auto& stack = GetParam();
      const auto x0 = nhwc(torch::randn({4, stack.in_channels, 6, 6}) + step);
      auto x = x0.clone().requires_grad_(stack.input_gradient), xr = x0.clone().requires_grad_(stack.input_gradient);
      const auto y = block->forward(x), yr = plain->forward(xr);
      ASSERT_EQ(y.sizes(), yr.sizes());
      EXPECT_LT(max_error(y, yr), 1e-5 * scale_of(yr));
      const auto graph = graph_of(y);
      for (const auto& node : stack.fused) EXPECT_NE(graph.find(node), std::string::npos) << node << " in\n" << graph;
      const auto g = torch::randn(yr.sizes());
      y.backward(g);
      yr.backward(g);
      if (stack.input_gradient) {
        EXPECT_LT(max_error(x.grad(), xr.grad()), 1e-4 * scale_of(xr.grad())) << "input gradient";
      }
    }
    const auto buffers = block->named_buffers(), plain_buffers = plain->named_buffers();
    for (const auto& b : buffers) EXPECT_LT(max_error(b.value(), plain_buffers[b.key()]), 1e-5) << b.key();
    const auto params = block->named_parameters(), plain_params = plain->named_parameters();
    for (const auto& q : params) {
      const auto& reference = plain_params[q.key()].grad();
      EXPECT_LT(max_error(q.value().grad(), reference), 1e-4 * scale_of(reference)) << q.key();
    }
    block->eval(), plain->eval();
    const auto x = nhwc(torch::randn({2, GetParam().in_channels, 6, 6}));
    EXPECT_LT(max_error(block->forward(x), plain->forward(x)), 1e-5 * scale_of(plain->forward(x)));
  }
}

INSTANTIATE_TEST_SUITE_P(Stacks, BlockMatchesSequential, ::testing::ValuesIn(kStacks),
                         [](const auto& info) { return std::string(info.param.name); });

// In training, batchnorm removes a per-channel constant exactly, so a folded bias gets a gradient of exactly 0 (the
// plain Sequential computes one of rounding size): every convolution kind a Block folds.
TEST(Block, FoldsTheBiasOfEachConvolutionKind) {
  const std::pair<const char*, std::function<nn::AnyModule()>> convs[] = {
      {"Conv2d", [] { return conv(3, 8); }},
      {"SameConv2d 3", [] { return same_conv(3, 8, 3); }},
      {"SameConv2d 4", [] { return same_conv(3, 8, 4); }},
      {"FastConvTranspose2d", [] { return nn::AnyModule(doubling_conv_transpose(3, 8, 3, 1)); }},
  };
  for (const auto& [name, make] : convs) {
    torch::manual_seed(3);
    Block block;
    block->push_back(make());
    block->push_back(batch_norm(8, 0.1));
    block->push_back(relu());
    block->forward(torch::randn({4, 3, 6, 6}).contiguous(torch::MemoryFormat::ChannelsLast)).square().sum().backward();
    const auto params = block->named_parameters();
    const auto bias = params.find("0.conv.bias") != nullptr ? params["0.conv.bias"] : params["0.bias"];
    const auto weight = params.find("0.conv.weight") != nullptr ? params["0.conv.weight"] : params["0.weight"];
    EXPECT_TRUE(torch::equal(bias.grad(), torch::zeros_like(bias))) << name;
    EXPECT_GT(weight.grad().abs().max().item<double>(), 0.0) << name;
  }
}

}  // namespace
}  // namespace tint::models
