// Comparisons of a tint result with its reference, shared by the op and model tests.
#pragma once

#include <torch/torch.h>

namespace tint::test {

// Largest absolute difference, in double so that bf16 and fp32 results compare on one scale.
inline double max_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}
// 1 + the largest magnitude: tolerances are relative to it, and absolute near zero.
inline double scale_of(const torch::Tensor& t) { return 1 + t.to(torch::kDouble).abs().max().item<double>(); }

}  // namespace tint::test
