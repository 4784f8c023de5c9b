// The colourization losses, per pixel: the source's cross-entropy against one colour id (palette colours, or ab bins as
// hard targets) and the cross-entropy against soft targets (ab bins, Zhang et al. 2016).
#pragma once

#include <torch/types.h>

namespace tint::data {
struct SoftTargets;  // tint/data/ab_bins.h
}  // namespace tint::data

namespace tint::train {

// Mean (or sum) over every pixel of -log softmax(logits)[id]. Logits in channels-last memory are read as the
// (N*H*W, NC) matrix they are in memory and go to ops::cross_entropy (log-softmax and NLL fused), so that neither the
// softmax nor its gradient first copies them to NCHW. Any other layout goes through LibTorch's 4-D path.
// `weights` (N, H, W), when given, multiply each pixel's term (class rebalancing).
torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum = false,
                                  const torch::Tensor& weights = {});

// Cross-entropy against soft targets (data::AbBins::soft_encode), per pixel: -sum_k weights_k log
// softmax(logits)[ids_k]. logits (N, Q, H, W) float -> (N, H, W) float, differentiable in logits; with one-hot targets
// it is the ordinary cross-entropy. Weighting (AbBins::pixel_weights) and the reduction are the caller's.
torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const data::SoftTargets& targets);

}  // namespace tint::train
