// Which build of the fused CPU kernels runs, and a record of which ran, for the tests.
//
// Each kernel loop is compiled once per x86-64 level (cpu_loops.h, TINT_CPU_KERNEL): x86-64-v4 (AVX-512), x86-64-v3
// (AVX2 + FMA) and baseline x86-64 (Debian's target). One variant serves the whole process, chosen at the first
// kernel call: the one $TINT_CPU_VARIANT names, else the widest the CPU runs. Forcing one lets a machine test the
// code that narrower CPUs run (tests/ops runs under all three). The choice is tint's own rather than g++'s
// target_clones, whose ifunc resolver cannot be overridden and cannot run under AddressSanitizer.
// Private to src/ops and its tests.
#pragma once

#include <atomic>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TINT_CPU_VARIANTS 1  // v4 and v3 are compiled (g++'s target attribute); otherwise baseline only
#else
#define TINT_CPU_VARIANTS 0
#endif

namespace tint::ops::cpu {

enum class Variant : unsigned { baseline = 0, x86_64_v3 = 1, x86_64_v4 = 2 };
constexpr Variant kVariants[] = {Variant::x86_64_v4, Variant::x86_64_v3, Variant::baseline};  // widest first

// Sets of variants are bit masks.
constexpr unsigned bit(Variant v) { return 1u << static_cast<unsigned>(v); }

// "x86-64-v4", "x86-64-v3" or "baseline": the values $TINT_CPU_VARIANT takes (g++'s -march names).
const char* variant_name(Variant v);

// The variants this build compiled (all three with g++ on x86-64, else baseline), and those this CPU (and its
// operating system, for the AVX registers) runs.
unsigned compiled_variants();
unsigned supported_variants();

// The variant to run: the one named by `requested` ($TINT_CPU_VARIANT's value), or the widest of compiled &
// supported when it is null or empty. Throws tint::Error naming TINT_CPU_VARIANT for an unknown name, or for a
// variant this build did not compile or this CPU cannot run, saying which it can.
Variant choose_variant(const char* requested, unsigned compiled, unsigned supported);

namespace detail {
inline std::atomic<unsigned> selected{0};  // 0 until chosen, then the variant + 1
Variant select_from_environment();         // chooses, stores and returns; throws as choose_variant does
inline unsigned variants_run = 0;          // the record of note_run, read and written with __atomic builtins
}  // namespace detail

// This process's variant: choose_variant($TINT_CPU_VARIANT, compiled_variants(), supported_variants()), read once.
// Every kernel call asks, so the common case is one load.
inline Variant selected_variant() {
  const unsigned s = detail::selected.load(std::memory_order_relaxed);
  return s != 0 ? static_cast<Variant>(s - 1) : detail::select_from_environment();
}

// Called as a kernel variant is called (TINT_CPU_KERNEL). After the first call it only reads a cache line that
// nothing writes, so the kernels' threads do not contend for it.
inline __attribute__((always_inline)) void note_run(Variant v) {
  if ((__atomic_load_n(&detail::variants_run, __ATOMIC_RELAXED) & bit(v)) == 0) {
    __atomic_fetch_or(&detail::variants_run, bit(v), __ATOMIC_RELAXED);
  }
}

// a * b + c, computed by a kernel of the selected variant, for the tests: optimized builds of x86-64-v3 and v4
// contract it into one fused multiply-add (g++'s default -ffp-contract=fast, at -O2 and above, as in every kernel),
// baseline x86-64 has no FMA instruction and rounds the product first, so the result tells which code ran, not only
// which was chosen.
float multiply_add(float a, float b, float c);

// The variants whose kernels ran since the last call (bits), for the tests: 0 says no fused kernel ran, bit(v) that
// only variant v's did.
inline unsigned take_variants_run() { return __atomic_exchange_n(&detail::variants_run, 0u, __ATOMIC_RELAXED); }

}  // namespace tint::ops::cpu
