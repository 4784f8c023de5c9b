// What the fused CPU kernels (batch_norm_relu, conv_max_pool, cross_entropy, resample) share: per-CPU code generation,
// bfloat16 loads and stores, a vectorizable exp and log, the element-type switch, the first-order check.
//
// The kernels are plain loops over a channels-last (rows, channels) matrix, written so that g++ vectorizes them.
// TINT_CPU_KERNEL compiles each loop once per x86-64 level (AVX-512, AVX2+FMA, baseline) and calls the variant that
// cpu_variant.h selects, so the binary stays portable while using the machine's widest vectors (Debian builds for
// baseline x86-64), and a test can run any variant the machine has.
// Private to src/ops.
#pragma once

#include <cstdint>
#include <cstring>

#include <ATen/core/Tensor.h>
#include <c10/core/GradMode.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Exception.h>

#include "cpu_variant.h"

// TINT_CPU_KERNEL(name, loop, (parameters), (arguments)) defines `void name(parameters)`, which runs
// `loop(arguments)` compiled for the selected variant: one function per x86-64 level, each with g++'s target
// attribute (what target_clones generates, without its load-time resolver), and a switch on the variant, which notes
// the variant it calls (cpu_variant.h: how the tests see which code ran). The note stays out of the variants, so that
// their code is what target_clones made of them.
#if TINT_CPU_VARIANTS
#define TINT_CPU_KERNEL(name, loop, parameters, arguments)                                       \
  __attribute__((target("arch=x86-64-v4"))) void name##_x86_64_v4 parameters { loop arguments; } \
  __attribute__((target("arch=x86-64-v3"))) void name##_x86_64_v3 parameters { loop arguments; } \
  void name##_baseline parameters { loop arguments; }                                            \
  void name parameters {                                                                         \
    using ::tint::ops::cpu::Variant;                                                             \
    switch (::tint::ops::cpu::selected_variant()) {                                              \
      case Variant::x86_64_v4:                                                                   \
        ::tint::ops::cpu::note_run(Variant::x86_64_v4);                                          \
        return name##_x86_64_v4 arguments;                                                       \
      case Variant::x86_64_v3:                                                                   \
        ::tint::ops::cpu::note_run(Variant::x86_64_v3);                                          \
        return name##_x86_64_v3 arguments;                                                       \
      case Variant::baseline:                                                                    \
        break;                                                                                   \
    }                                                                                            \
    ::tint::ops::cpu::note_run(Variant::baseline);                                               \
    name##_baseline arguments;                                                                   \
  }
#else
#define TINT_CPU_KERNEL(name, loop, parameters, arguments)                                        \
  void name parameters {                                                                          \
    ::tint::ops::cpu::selected_variant(); /* refuses a $TINT_CPU_VARIANT that this build lacks */ \
    ::tint::ops::cpu::note_run(::tint::ops::cpu::Variant::baseline);                              \
    loop arguments;                                                                               \
  }
#endif
// The loop bodies are templates; forcing them inline compiles them once inside each variant, for that variant's CPU.
#define TINT_INLINE inline __attribute__((always_inline))

namespace tint::ops::cpu {

// 16 floats (and 16 masks or bit patterns) as one GCC vector: one AVX-512 register, two AVX2 or four SSE ones in each
// variant, for the loops g++ would not vectorize by itself (reductions across rows, selects). The kernels pass them by
// value only to always-inlined helpers, so no call uses the 64-byte vector ABI that g++ warns about for the baseline
// variant.
#pragma GCC diagnostic ignored "-Wpsabi"
constexpr int64_t kVectorFloats = 16;
using Floats = float __attribute__((vector_size(kVectorFloats * sizeof(float))));
using Bits = uint32_t __attribute__((vector_size(kVectorFloats * sizeof(uint32_t))));

// Image rows handed to a thread at a time by the resampling kernels, so that a task outweighs its scheduling.
constexpr int64_t kGrainRows = 8;

TINT_INLINE float load(const float* p) { return *p; }
TINT_INLINE float load(const c10::BFloat16* p) {
  uint16_t half;
  std::memcpy(&half, p, sizeof half);
  const uint32_t bits = uint32_t{half} << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// A float's bits (uint32_t, or Bits for a vector) rounded to nearest even at bfloat16's precision: the bfloat16 is
// the upper 16 bits, the lower ones are to be dropped. NaN is the caller's to keep (its bits may round to infinity).
template <typename U>
TINT_INLINE U bfloat16_rounded(U bits) {
  return bits + 0x7FFFu + ((bits >> 16) & 1u);
}

TINT_INLINE void store(float* p, float v) { *p = v; }
// Round to nearest even, as c10::BFloat16(float) does (NaN stays a quiet NaN).
TINT_INLINE void store(c10::BFloat16* p, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const uint32_t rounded = bfloat16_rounded(bits) >> 16;
  const uint16_t half = static_cast<uint16_t>(v != v ? 0x7FC0u : rounded);
  std::memcpy(p, &half, sizeof half);
}

// exp(x) for x <= 0 within 1.5 ulp of the exact value (1.01 measured; tests/ops checks every 61st float in
// [-87, 0]): Cephes' expf, x = n ln2 + r
// with |r| <= ln2 / 2 and a degree-5 polynomial for e^r. std::exp does not vectorize with g++ (glibc's vector expf
// needs -ffast-math, which would also drop the NaN checks the callers rely on). Below -87 the result is 2^-126
// times e^r rather than a denormal or 0; the softmax callers only add such terms to a sum of at least 1.
TINT_INLINE float exp_nonpositive(float x) {
  x = x > -87.0f ? x : -87.0f;  // NaN becomes -87 here, so the float-to-int conversion below is always defined
  const float n = static_cast<float>(static_cast<int32_t>(x * 1.44269504088896341f - 0.5f));  // round(x / ln2)
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 split in two so n * ln2 is exact
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

// log(x) for x >= 1 (normal and finite) within 1.5 ulp of the exact value (tests/ops checks every 61st float in
// [1, 2^20]): Cephes' logf, x = 2^e m with m in [sqrt(1/2), sqrt(2)), log(m) by a degree-9 polynomial in m - 1.
// For the softmax sums, which lie in [1, classes]; std::log does not vectorize with g++.
TINT_INLINE float log_at_least_one(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t e = static_cast<int32_t>(bits >> 23) - 126;  // x = 2^e m, m in [1/2, 1)
  bits = (bits & 0x007FFFFFu) | 0x3F000000u;
  float m;
  std::memcpy(&m, &bits, sizeof m);
  const bool low = m < 0.707106781186547524f;
  e -= low ? 1 : 0;
  m = (low ? m + m : m) - 1.0f;
  const float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  const float fe = static_cast<float>(e);
  float y = m * z * p - 2.12194440e-4f * fe - 0.5f * z;
  return (m + y) + 0.693359375f * fe;
}

// Calls f(T{}) with T the C++ type of x's elements: c10::BFloat16 for bfloat16, else float (the kernels' callers let
// only these two through).
template <typename F>
decltype(auto) visit_element_type(const at::Tensor& x, const F& f) {
  return x.scalar_type() == at::kBFloat16 ? f(c10::BFloat16{}) : f(float{});
}

// The fused operators' backward passes are plain loops, not differentiable themselves: under create_graph they would
// give wrong second-order gradients without a word, so they refuse (the engine enables grad mode only then).
inline void check_first_order(const char* op) {
  TORCH_CHECK(!c10::GradMode::is_enabled(), op,
              ": second-order gradients (create_graph) are not supported by this fused operator");
}

// A gradient as the kernels read it: the input's element type, channels-last.
inline at::Tensor as_channels_last(const at::Tensor& g, at::ScalarType type) {
  return g.to(type).contiguous(at::MemoryFormat::ChannelsLast);
}

// Blocks of `block` rows (the last one shorter) that cover `rows`.
inline int64_t block_count(int64_t rows, int64_t block) { return (rows + block - 1) / block; }

}  // namespace tint::ops::cpu
