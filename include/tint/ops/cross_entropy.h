// Softmax cross-entropy of the rows of a logit matrix, log-softmax and NLL in one operation.
//
// The colourization loss reads channels-last logits as a (pixels, colours) matrix: 102,400 rows of 24 at the source's
// batch size. LibTorch's log_softmax + nll_loss pair vectorizes along a row, which is 1.5 AVX-512 vectors here, and
// writes the whole log-softmax matrix forward and again backward; it took an eighth of a training step. This op
// reads the logits once: when the logits require a gradient, it is computed with the loss (the exponentials are at
// hand) and the backward pass only scales it. Narrow rows (palettes) go through a kernel that holds one row per
// vector lane, 16 rows at a time; rows of 64 classes or more (ab bins: 244 for all of CIFAR-10, 313 in Zhang et al.)
// through one that runs vectors along each row (src/ops/cross_entropy_kernels.h).
#pragma once

#include <torch/types.h>

namespace tint::ops {

// Mean (or, with sum, the sum) over rows r of logsumexp(logits[r]) - logits[r][ids[r]], as
// torch::nn::functional::cross_entropy(logits, ids) computes it, with the gradient for logits.
// The fused path takes logits (M, K) contiguous on the CPU, float32 or bfloat16, and ids (M) int64. Anything else
// torch::nn::functional::cross_entropy accepts (such as (N, K, H, W) logits with (N, H, W) ids) is computed by it.
// bfloat16 and half logits are computed in float32 on every path (as autocast does) and their gradient is rounded
// once (twice where the loss is scaled before backward), so callers need not convert them first. An id outside
// [0, K) throws c10::Error naming it. A row with a NaN or +inf logit gives a NaN loss. Row blocks are fixed, so the
// result does not depend on the thread count. With grad mode on and logits requiring a gradient, the gradient (the
// size of logits) is held from the forward pass until the backward pass.
//
// With `weights` (one per row, the shape of ids; float32 for the fused path), row r's term is multiplied by
// weights[r] (Zhang et al.'s class rebalancing weighs each pixel by its colour's weight); the mean still divides by
// the number of rows, as (weights * per-row loss).mean() does.
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum = false,
                            const torch::Tensor& weights = {});

}  // namespace tint::ops
