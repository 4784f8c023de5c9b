// The two kernels of the fused softmax cross-entropy (ops/cross_entropy.h), and the choice between them by row width.
//
// A row is one pixel's NC logits, contiguous (channels-last). Both kernels compute, for each row, its maximum, the
// log of the sum of exp(logit - maximum) (the loss is (maximum - x[id]) + log_sum), and, when asked, the gradient
// (softmax(x) - onehot(id)) * scale * weight, in one pass over the logits:
//   lanes (cross_entropy_lanes.cpp): 16 rows at a time, one row per vector lane. Made for the 24 palette colours, a
//         row of 1.5 AVX-512 vectors; at 244 ab bins every column is 16 scalar loads into a vector.
//   wide  (cross_entropy_wide.cpp): one row at a time, vectors along the row (max, sum of exp, gradient), for the
//         hundreds of ab bins (244 for all of CIFAR-10, 313 in Zhang et al.).
// Both are compiled once per CPU variant (cpu_loops.h). Private to src/ops, its tests and benchmarks.
#pragma once

#include <cstdint>

#include <c10/util/BFloat16.h>
#include <torch/types.h>

#include "cpu_loops.h"

namespace tint::ops::cpu {

// Rows per lane group of the lanes kernel: one per vector lane.
constexpr int64_t kLanes = kVectorFloats;

// From this many classes on, cross_entropy runs the wide kernel; below it the lanes kernel, as before (a palette's
// 24 colours). bench_cross_entropy (BM_CrossEntropyWide) times both at 48, 64 and 244 classes; docs/performance.md
// has the numbers.
constexpr int64_t kWideClasses = 64;

enum class RowKernel { by_width, lanes, wide };

// The lanes kernel on kLanes rows x (kLanes * k floats), ids and weights (null: all 1) per row. exps and expanded
// are scratch of kLanes * k floats; max and log_sum receive kLanes values; dx (null: no gradient) kLanes * k.
void softmax_lanes_cpu(const float* x, const int64_t* ids, const float* weights, int64_t k, float scale, float* exps,
                       float* expanded, float* max, float* log_sum, float* dx);
void softmax_lanes_cpu(const c10::BFloat16* x, const int64_t* ids, const float* weights, int64_t k, float scale,
                       float* exps, float* expanded, float* max, float* log_sum, c10::BFloat16* dx);

// The wide kernel on `rows` rows of k: the same outputs per row. exps is scratch of wide_scratch_floats(k) floats.
void softmax_wide_cpu(const float* x, const int64_t* ids, const float* weights, int64_t rows, int64_t k, float scale,
                      float* exps, float* max, float* log_sum, float* dx);
void softmax_wide_cpu(const c10::BFloat16* x, const int64_t* ids, const float* weights, int64_t rows, int64_t k,
                      float scale, float* exps, float* max, float* log_sum, c10::BFloat16* dx);
// k rounded up to whole vectors: the wide kernel's sums read its scratch a vector at a time.
inline int64_t wide_scratch_floats(int64_t k) { return (k + kVectorFloats - 1) / kVectorFloats * kVectorFloats; }

// ops::cross_entropy with the kernel chosen by the caller (by_width: as cross_entropy chooses), for the tests, which
// run each kernel at every width, and the benchmarks, which compare them. The same checks and fallback to LibTorch.
torch::Tensor cross_entropy_with(RowKernel kernel, const torch::Tensor& logits, const torch::Tensor& ids, bool sum,
                                 const torch::Tensor& weights);

}  // namespace tint::ops::cpu
