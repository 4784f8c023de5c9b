// pixel_cross_entropy against a direct computation, in both memory formats, with gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/train/loss.h"

namespace tint::train {
namespace {

TEST(PixelCrossEntropy, EqualsTheDirectFormulaInBothLayoutsWithGradients) {
  torch::manual_seed(5);
  auto base = torch::randn({3, 7, 4, 5}, torch::kFloat64);
  auto ids = torch::randint(0, 7, {3, 4, 5});
  // Direct: -log softmax at the labelled colour, averaged over every pixel.
  auto picked = torch::log_softmax(base, 1).gather(1, ids.unsqueeze(1)).squeeze(1);
  const double mean = -picked.mean().item<double>();
  torch::Tensor grad_reference;
  {
    auto x = base.clone().requires_grad_(true);
    (-torch::log_softmax(x, 1).gather(1, ids.unsqueeze(1)).mean()).backward();
    grad_reference = x.grad();
  }
  for (auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
    auto x = base.contiguous(format).detach().requires_grad_(true);
    auto loss = pixel_cross_entropy(x, ids);
    EXPECT_NEAR(loss.item<double>(), mean, 1e-12);
    EXPECT_NEAR(pixel_cross_entropy(x, ids, /*sum=*/true).item<double>(), mean * ids.numel(), 1e-10);
    loss.backward();
    EXPECT_TRUE(torch::allclose(x.grad(), grad_reference, 1e-12, 1e-14));
  }
}

// Float32 channels-last logits take the fused kernel (ops::cross_entropy); NCHW ones LibTorch's path. Both equal the
// formula in double on the same values.
TEST(PixelCrossEntropy, Float32InBothLayoutsEqualsTheFormulaInDouble) {
  torch::manual_seed(6);
  const auto base = torch::randn({4, 24, 8, 8}) * 3;
  const auto ids = torch::randint(0, 24, {4, 8, 8});
  auto x64 = base.to(torch::kFloat64).requires_grad_(true);
  auto reference = -torch::log_softmax(x64, 1).gather(1, ids.unsqueeze(1)).mean();
  reference.backward();
  for (auto format : {torch::MemoryFormat::Contiguous, torch::MemoryFormat::ChannelsLast}) {
    auto x = base.contiguous(format).detach().requires_grad_(true);
    auto loss = pixel_cross_entropy(x, ids);
    EXPECT_NEAR(loss.item<double>(), reference.item<double>(), 1e-6);
    loss.backward();
    EXPECT_TRUE(x.grad().is_contiguous(format));
    EXPECT_LT((x.grad().to(torch::kFloat64) - x64.grad()).abs().max().item<double>(), 1e-8);
  }
}

}  // namespace
}  // namespace tint::train
