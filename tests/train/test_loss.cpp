// pixel_cross_entropy against a direct computation, in both memory formats, with gradients; soft_cross_entropy against
// the dense formula and its closed-form gradient.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/tensor_checks.h"
#include "tint/data/ab_bins.h"
#include "tint/data/lab.h"
#include "tint/train/loss.h"

namespace tint::train {
namespace loss_test {
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

// Random ab (N, 2, H, W) in [-range, range] (as tests/data/test_ab_bins.cpp).
torch::Tensor random_ab(int64_t n, int64_t h, int64_t w, double range, uint64_t seed) {
  torch::manual_seed(seed);
  return (torch::rand({n, 2, h, w}, torch::kFloat32) * 2 - 1) * range;
}

// Bins fitted to the colours of random images: a realistic, irregular set of kept bins.
data::AbBins random_image_bins() {
  torch::manual_seed(1);
  auto images = torch::randint(0, 256, {8, 3, 16, 16}, torch::kUInt8);
  return data::AbBins::fit(data::rgb_to_lab(images));
}

TEST(SoftCrossEntropy, EqualsTheDenseOneAndHasTheClosedFormGradient) {
  auto bins = random_image_bins();
  const int64_t q = bins.size();
  auto soft = bins.soft_encode(random_ab(2, 6, 7, 100.0, 5));
  torch::manual_seed(6);
  auto logits = (torch::randn({2, q, 6, 7}, torch::kFloat64) * 3).requires_grad_(true);
  auto loss = soft_cross_entropy(logits, soft);
  ASSERT_EQ(loss.sizes(), (std::vector<int64_t>{2, 6, 7}));
  auto dense = soft.to_dense(q).to(torch::kFloat64);
  auto want = -(dense * torch::log_softmax(logits, 1)).sum(1);
  EXPECT_LT(test::max_error(loss, want), 1e-6);
  // d/dz of -sum_q t_q log softmax(z)_q is softmax(z) - t when sum_q t_q = 1.
  loss.sum().backward();
  EXPECT_LT(test::max_error(logits.grad(), torch::softmax(logits.detach(), 1) - dense), 1e-6);
  // With one neighbour it is the ordinary cross-entropy.
  auto hard = bins.soft_encode(random_ab(2, 6, 7, 100.0, 5), 1);
  auto ce = torch::nn::functional::cross_entropy(
      logits.detach(), hard.ids.squeeze(1), torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  EXPECT_LT(test::max_error(soft_cross_entropy(logits.detach(), hard), ce), 1e-12);
}

}  // namespace
}  // namespace loss_test
}  // namespace tint::train
