// The wide kernel of the fused softmax cross-entropy (cross_entropy_kernels.h): one row at a time, vectors along the
// row, for rows of hundreds of classes (ab bins).
#include <cmath>
#include <cstring>
#include <limits>

#include "cross_entropy_kernels.h"

namespace tint::ops::cpu {
namespace {

using Halves = uint16_t __attribute__((vector_size(kVectorFloats * sizeof(uint16_t))));

// x[0..16) as floats.
TINT_INLINE Floats load_vector(const float* x) {
  Floats v;
  std::memcpy(&v, x, sizeof v);
  return v;
}
TINT_INLINE Floats load_vector(const c10::BFloat16* x) {
  Halves h;
  std::memcpy(&h, x, sizeof h);
  const Bits bits = __builtin_convertvector(h, Bits) << 16;  // a bfloat16 is a float's upper half
  Floats v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// x[0..n) as floats, n < 16, the other lanes `fill`: the end of a row.
template <typename T>
TINT_INLINE Floats load_partial(const T* x, int64_t n, float fill) {
  Floats v = Floats{} + fill;
  for (int64_t i = 0; i < n; ++i) v[i] = load(x + i);
  return v;
}

// Sum and maximum of a vector's lanes, pairwise in a fixed order (the same in every variant).
TINT_INLINE float lane_sum(Floats v) {
  float a[kVectorFloats];
  std::memcpy(a, &v, sizeof a);
  for (int64_t half = kVectorFloats / 2; half > 0; half /= 2) {
    for (int64_t i = 0; i < half; ++i) a[i] += a[i + half];
  }
  return a[0];
}
TINT_INLINE float lane_max(Floats v) {
  float a[kVectorFloats];
  std::memcpy(a, &v, sizeof a);
  for (int64_t half = kVectorFloats / 2; half > 0; half /= 2) {
    for (int64_t i = 0; i < half; ++i) a[i] = a[i + half] > a[i] ? a[i + half] : a[i];
  }
  return a[0];
}

// For `rows` rows of k logits, row by row: the row's maximum, the log of the sum of exp(logit - maximum), and,
// where dx is not null, the gradient (softmax - onehot(id)) * scale (times the row's weight where weights is not
// null): what the lanes kernel computes (cross_entropy_lanes.cpp says why the gradient is computed here), with the
// reductions along the row in vectors of 16 lanes (each lane a running maximum or sum over every 16th logit, the
// lanes combined at the row's end) and the elementwise work as plain loops over the row, which g++ vectorizes.
// A row of 244 is 15 vectors and 4 floats: its end is loaded into a vector padded with -inf (no effect on the
// maximum, not counted as bad) and its exponentials are followed by zeros in exps, which holds
// wide_scratch_floats(k) floats.
template <typename T>
TINT_INLINE void softmax_wide(const T* x, const int64_t* ids, const float* weights, int64_t rows, int64_t k,
                              float scale, float* __restrict exps, float* __restrict max, float* __restrict log_sum,
                              T* __restrict dx) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const int64_t whole = k / kVectorFloats * kVectorFloats, padded = wide_scratch_floats(k);
  for (int64_t j = k; j < padded; ++j) exps[j] = 0.0f;
  for (int64_t r = 0; r < rows; ++r, x += k) {
    // The maximum, and a count of NaN and +inf logits (a test inside the maximum would make g++ branch); a -inf
    // logit is an ordinary probability 0.
    Floats m = Floats{} - kInf, bad = {};
    for (int64_t j = 0; j < whole; j += kVectorFloats) {
      const Floats v = load_vector(x + j);
      m = v > m ? v : m;
      bad += v < kInf ? Floats{} : Floats{} + 1.0f;
    }
    if (whole < k) {
      const Floats v = load_partial(x + whole, k - whole, -kInf);
      m = v > m ? v : m;
      bad += v < kInf ? Floats{} : Floats{} + 1.0f;
    }
    const float row_max = lane_max(m);
    for (int64_t j = 0; j < k; ++j) exps[j] = exp_nonpositive(load(x + j) - row_max);
    Floats s = {};
    for (int64_t j = 0; j < padded; j += kVectorFloats) s += load_vector(exps + j);
    const float sum = lane_sum(s);  // >= 1: the maximum's own term is exp(0)
    // log_softmax is NaN for a row with a NaN or +inf logit, or all -inf (inf - inf); so is the loss here.
    const bool finite = lane_sum(bad) == 0.0f && row_max > -kInf;
    max[r] = finite ? row_max : std::numeric_limits<float>::quiet_NaN();
    log_sum[r] = log_at_least_one(sum);
    if (dx == nullptr) continue;
    T* __restrict d = dx + r * k;
    if (!finite) {  // a row with a NaN loss gets a NaN gradient (exp_nonpositive does not pass NaN on)
      for (int64_t j = 0; j < k; ++j) store(d + j, std::numeric_limits<float>::quiet_NaN());
      continue;
    }
    const float row_scale = weights == nullptr ? scale : scale * weights[r];  // a weighted row's gradient is scaled
    const float inverse = row_scale / sum;
    for (int64_t j = 0; j < k; ++j) store(d + j, exps[j] * inverse);
    if (ids[r] >= 0 && ids[r] < k) store(d + ids[r], exps[ids[r]] * inverse - row_scale);  // the caller reports bad ids
  }
}

}  // namespace

// One function per CPU variant for each element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                                    \
  TINT_CPU_KERNEL(softmax_wide_cpu, softmax_wide,                                                              \
                  (const T* x, const int64_t* ids, const float* weights, int64_t rows, int64_t k, float scale, \
                   float* exps, float* max, float* log_sum, T* dx),                                            \
                  (x, ids, weights, rows, k, scale, exps, max, log_sum, dx))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

}  // namespace tint::ops::cpu
