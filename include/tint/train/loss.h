// The per-pixel cross-entropy of the source: logits (N, NC, H, W) against colour ids (N, H, W).
#pragma once

#include <torch/types.h>

namespace tint::train {

// Mean (or sum) over every pixel of -log softmax(logits)[id]. Logits in channels-last memory are read as the
// (N*H*W, NC) matrix they are in memory and go to ops::cross_entropy (log-softmax and NLL fused), so that neither the
// softmax nor its gradient first copies them to NCHW. Any other layout goes through LibTorch's 4-D path.
// `weights` (N, H, W), when given, multiply each pixel's term (class rebalancing).
torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum = false,
                                  const torch::Tensor& weights = {});

}  // namespace tint::train
