#include "tint/train/loss.h"

#include <torch/torch.h>

namespace tint::train {

torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum) {
  namespace F = torch::nn::functional;
  auto options = F::CrossEntropyFuncOptions();
  if (sum) options.reduction(torch::kSum);
  const auto rows = logits.permute({0, 2, 3, 1});  // (N, H, W, NC): a plain view when the memory is NHWC
  if (rows.is_contiguous()) {
    return F::cross_entropy(rows.reshape({-1, logits.size(1)}), ids.reshape({-1}), options);
  }
  return F::cross_entropy(logits, ids, options);
}

}  // namespace tint::train
