#include "cpu_variant.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "cpu_loops.h"
#include "tint/core/error.h"

namespace tint::ops::cpu {
namespace {

// "x86-64-v4, x86-64-v3 and baseline": the variants in `set`, widest first, the last joined by `last_word`.
std::string names_of(unsigned set, const char* last_word = "and") {
  std::vector<const char*> names;
  for (Variant v : kVariants) {
    if (set & bit(v)) names.push_back(variant_name(v));
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 < names.size() ? ", " : std::string(" ") + last_word + " ";
    out += names[i];
  }
  return out;
}

// What a variant needs beyond the one below it, for the message when the CPU lacks it.
const char* instructions_of(Variant v) {
  switch (v) {
    case Variant::x86_64_v4:
      return "AVX-512 F, BW, CD, DQ and VL";
    case Variant::x86_64_v3:
      return "AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT and MOVBE";
    case Variant::baseline:
      break;
  }
  return "x86-64";
}

TINT_INLINE void multiply_add_loop(const float* abc, float* out) { *out = abc[0] * abc[1] + abc[2]; }
TINT_CPU_KERNEL(multiply_add_cpu, multiply_add_loop, (const float* abc, float* out), (abc, out))

constexpr unsigned kAll = bit(Variant::x86_64_v4) | bit(Variant::x86_64_v3) | bit(Variant::baseline);

}  // namespace

const char* variant_name(Variant v) {
  switch (v) {
    case Variant::x86_64_v4:
      return "x86-64-v4";
    case Variant::x86_64_v3:
      return "x86-64-v3";
    case Variant::baseline:
      break;
  }
  return "baseline";
}

unsigned compiled_variants() { return TINT_CPU_VARIANTS ? kAll : bit(Variant::baseline); }

unsigned supported_variants() {
  unsigned set = bit(Variant::baseline);
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  // libgcc's checks, which target_clones used: the instructions and the operating system's saving of their registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v3")) set |= bit(Variant::x86_64_v3);
  if (__builtin_cpu_supports("x86-64-v4")) set |= bit(Variant::x86_64_v4);
#endif
  return set;
}

Variant choose_variant(const char* requested, unsigned compiled, unsigned supported) {
  const unsigned available = compiled & supported;
  if (requested == nullptr || *requested == '\0') {
    for (Variant v : kVariants) {
      if (available & bit(v)) return v;
    }
    return Variant::baseline;
  }
  for (Variant v : kVariants) {
    if (std::strcmp(requested, variant_name(v)) != 0) continue;
    if ((compiled & bit(v)) == 0) {
      throw Error(std::string("TINT_CPU_VARIANT=") + requested + ": this build compiled the fused kernels for " +
                  names_of(compiled) + " only (the others need g++ on x86-64)");
    }
    if ((supported & bit(v)) == 0) {
      throw Error(std::string("TINT_CPU_VARIANT=") + requested + ": this CPU lacks its instructions (" +
                  instructions_of(v) + "); it runs " + names_of(available));
    }
    return v;
  }
  throw Error(std::string("TINT_CPU_VARIANT=") + requested + ": expected " + names_of(kAll, "or") +
              ", or unset for the widest this CPU runs");
}

float multiply_add(float a, float b, float c) {
  const float abc[] = {a, b, c};
  float out;
  multiply_add_cpu(abc, &out);
  return out;
}

namespace detail {

Variant select_from_environment() {
  // The first kernel calls may come from several threads at once: one of them chooses.
  static std::mutex mutex;
  const std::lock_guard<std::mutex> lock(mutex);
  if (const unsigned s = selected.load(std::memory_order_relaxed); s != 0) return static_cast<Variant>(s - 1);
  const Variant v = choose_variant(std::getenv("TINT_CPU_VARIANT"), compiled_variants(), supported_variants());
  selected.store(static_cast<unsigned>(v) + 1, std::memory_order_relaxed);
  return v;
}

}  // namespace detail
}  // namespace tint::ops::cpu
