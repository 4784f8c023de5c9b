#include "tint/train/loss.h"

#include <torch/torch.h>

#include "tint/data/ab_bins.h"
#include "tint/ops/cross_entropy.h"

namespace tint::train {

torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum,
                                  const torch::Tensor& weights) {
  const auto rows = logits.permute({0, 2, 3, 1});  // (N, H, W, NC): a plain view when the memory is NHWC
  if (rows.is_contiguous()) {
    return ops::cross_entropy(rows.reshape({-1, logits.size(1)}), ids.reshape({-1}), sum,
                              weights.defined() ? weights.reshape({-1}) : weights);
  }
  return ops::cross_entropy(logits, ids, sum, weights);  // LibTorch's 4-D path
}

torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const data::SoftTargets& targets) {
  TORCH_CHECK(logits.dim() == 4, "soft_cross_entropy expects logits (N, Q, H, W), got ", logits.sizes());
  TORCH_CHECK(targets.ids.dim() == 4 && targets.weights.sizes() == targets.ids.sizes() &&
                  targets.ids.size(0) == logits.size(0) && targets.ids.size(2) == logits.size(2) &&
                  targets.ids.size(3) == logits.size(3),
              "soft_cross_entropy: targets ", targets.ids.sizes(), " do not match logits ", logits.sizes());
  // Gathering K of the Q log-probabilities keeps the targets sparse; the (N, Q, H, W) log-softmax is needed anyway.
  auto log_p = torch::log_softmax(logits, 1);
  return -(log_p.gather(1, targets.ids) * targets.weights.to(log_p.scalar_type())).sum(1);
}

}  // namespace tint::train
