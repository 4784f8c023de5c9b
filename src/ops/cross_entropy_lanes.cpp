// The lanes kernel of the fused softmax cross-entropy (cross_entropy_kernels.h): 16 rows at a time, one row per
// vector lane, for narrow rows (the 24 palette colours).
#include <cmath>
#include <limits>

#include "cross_entropy_kernels.h"

namespace tint::ops::cpu {
namespace {

using Lanes = Floats;

// For kLanes rows of k logits: each row's maximum, the log of the sum of exp(logit - maximum) (the log-sum-exp kept
// in two parts, so that the loss is (max - x[id]) + log_sum), and, where dx is not null, the gradient
// dx[r][j] = (softmax(x[r])[j] - [j == id[r]]) * scale, times weights[r] where weights is not null. The gradient is
// written here rather than in a backward pass because the loss is the end of the graph: its own gradient is 1
// unless a caller scales it, and the exponentials are at hand; a backward pass would read the logits again and
// recompute them (it took 7 % of a step).
// Reductions along a row run across rows instead, one row per vector lane (a row of 24 is 1.5 AVX-512 vectors, and
// g++ does not vectorize a float reduction without -ffast-math); elementwise work runs over the group as one flat
// span, each row's maximum and scale repeated across its k entries in `expanded`. exps and expanded hold
// kLanes * k floats.
template <typename T>
TINT_INLINE void softmax_lanes(const T* x, const int64_t* ids, const float* weights, int64_t k, float scale,
                               float* __restrict exps, float* __restrict expanded, float* __restrict max,
                               float* __restrict log_sum, T* __restrict dx) {
  // bad[r] counts NaN and +inf logits: a plain sum, where a NaN test inside the max would make g++ branch (and not
  // vectorize). A -inf logit is an ordinary probability 0.
  // The column loops are written with GCC's vector type (one lane per row): g++ would unroll a 16-trip loop of
  // strided loads into scalar code.
  Lanes m, bad = {}, s = {};
  for (int64_t r = 0; r < kLanes; ++r) m[r] = load(x + r * k);
  for (int64_t j = 0; j < k; ++j) {
    Lanes v;
    for (int64_t r = 0; r < kLanes; ++r) v[r] = load(x + r * k + j);
    m = v > m ? v : m;
    bad += v < std::numeric_limits<float>::infinity() ? Lanes{} : Lanes{} + 1.0f;
  }
  for (int64_t r = 0; r < kLanes; ++r) {
    for (int64_t j = 0; j < k; ++j) expanded[r * k + j] = m[r];
  }
  for (int64_t i = 0; i < kLanes * k; ++i) exps[i] = cpu::exp_nonpositive(load(x + i) - expanded[i]);
  for (int64_t j = 0; j < k; ++j) {
    Lanes v;
    for (int64_t r = 0; r < kLanes; ++r) v[r] = exps[r * k + j];
    s += v;
  }
  for (int64_t r = 0; r < kLanes; ++r) {
    // log_softmax is NaN for a row with a NaN or +inf logit, or all -inf (inf - inf); so is the loss here.
    const bool finite = bad[r] == 0.0f && m[r] > -std::numeric_limits<float>::infinity();
    max[r] = finite ? m[r] : std::numeric_limits<float>::quiet_NaN();
    log_sum[r] = log_at_least_one(s[r]);  // s >= 1: the maximum's own term is exp(0)
  }
  if (dx == nullptr) return;
  float row_scale[kLanes];  // a weighted row's gradient is its weight times an unweighted one's
  for (int64_t r = 0; r < kLanes; ++r) row_scale[r] = weights == nullptr ? scale : scale * weights[r];
  for (int64_t r = 0; r < kLanes; ++r) {
    const float inverse = row_scale[r] / s[r];
    for (int64_t j = 0; j < k; ++j) expanded[r * k + j] = inverse;
  }
  for (int64_t i = 0; i < kLanes * k; ++i) store(dx + i, exps[i] * expanded[i]);
  for (int64_t r = 0; r < kLanes; ++r) {
    if (std::isnan(max[r])) {  // a row with a NaN loss gets a NaN gradient (exp_nonpositive does not pass NaN on)
      for (int64_t j = 0; j < k; ++j) store(dx + r * k + j, std::numeric_limits<float>::quiet_NaN());
    } else if (ids[r] >= 0 && ids[r] < k) {  // the caller reports ids out of range
      store(dx + r * k + ids[r], exps[r * k + ids[r]] * expanded[r * k] - row_scale[r]);
    }
  }
}

}  // namespace

// One function per CPU variant for each element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                                   \
  TINT_CPU_KERNEL(softmax_lanes_cpu, softmax_lanes,                                                           \
                  (const T* x, const int64_t* ids, const float* weights, int64_t k, float scale, float* exps, \
                   float* expanded, float* max, float* log_sum, T* dx),                                       \
                  (x, ids, weights, k, scale, exps, expanded, max, log_sum, dx))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

}  // namespace tint::ops::cpu
