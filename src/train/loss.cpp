#include "tint/train/loss.h"

#include <torch/torch.h>

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

}  // namespace tint::train
