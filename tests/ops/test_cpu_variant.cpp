// The choice of the fused kernels' CPU variant (src/ops/cpu_variant.h): $TINT_CPU_VARIANT or the widest the CPU
// runs, refused with a clear error when unknown or beyond the CPU; and that the chosen variant's code is what runs.
//
// Besides running each test on its own (unforced: the widest variant), CTest runs the whole binary once per variant,
// with TINT_CPU_VARIANT set (tests/CMakeLists.txt); every op test then runs that variant's kernels, as they check
// (fused_checks.h). A variant this CPU lacks skips the whole binary, saying why.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "fused_checks.h"
#include "ops/cpu_variant.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/ops/batch_norm_relu.h"
#include "tint/ops/cross_entropy.h"
#include "tint/ops/resample.h"

namespace tint::ops::cpu {
namespace {

constexpr unsigned kAll = bit(Variant::x86_64_v4) | bit(Variant::x86_64_v3) | bit(Variant::baseline);

std::string requested_variant() {
  const char* v = std::getenv("TINT_CPU_VARIANT");
  return v == nullptr ? "" : v;
}

// A variant named in $TINT_CPU_VARIANT that this machine cannot run skips every test of the binary, saying why (the op
// tests would all fail on the library's refusal). An unknown name is left to fail them, with the same message.
class ForcedVariantEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string requested = requested_variant();
    try {
      selected_variant();
    } catch (const Error& e) {
      for (Variant v : kVariants) {
        if (requested == variant_name(v)) GTEST_SKIP() << e.what();
      }
    }
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ForcedVariantEnvironment);

TEST(CpuVariant, ChoosesTheNamedOneOrTheWidest) {
  const unsigned v3 = bit(Variant::x86_64_v3) | bit(Variant::baseline);
  EXPECT_EQ(choose_variant(nullptr, kAll, kAll), Variant::x86_64_v4);
  EXPECT_EQ(choose_variant("", kAll, v3), Variant::x86_64_v3);
  EXPECT_EQ(choose_variant(nullptr, bit(Variant::baseline), kAll), Variant::baseline);  // a build without variants
  EXPECT_EQ(choose_variant("baseline", kAll, kAll), Variant::baseline);
  EXPECT_EQ(choose_variant("x86-64-v3", kAll, kAll), Variant::x86_64_v3);
  EXPECT_EQ(choose_variant("x86-64-v4", kAll, kAll), Variant::x86_64_v4);
}

TEST(CpuVariant, RefusesAnUnknownOrUnavailableVariantNamingIt) {
  const unsigned v3 = bit(Variant::x86_64_v3) | bit(Variant::baseline);
  EXPECT_EQ(test::error_of([&] { choose_variant("x86-64-v4", kAll, v3); }),
            "TINT_CPU_VARIANT=x86-64-v4: this CPU lacks its instructions (AVX-512 F, BW, CD, DQ and VL); it runs "
            "x86-64-v3 and baseline");
  EXPECT_EQ(test::error_of([&] { choose_variant("x86-64-v3", kAll, bit(Variant::baseline)); }),
            "TINT_CPU_VARIANT=x86-64-v3: this CPU lacks its instructions (AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT "
            "and MOVBE); it runs baseline");
  EXPECT_EQ(test::error_of([&] { choose_variant("x86-64-v3", bit(Variant::baseline), kAll); }),
            "TINT_CPU_VARIANT=x86-64-v3: this build compiled the fused kernels for baseline only (the others need "
            "g++ on x86-64)");
  EXPECT_EQ(test::error_of([&] { choose_variant("avx2", kAll, kAll); }),
            "TINT_CPU_VARIANT=avx2: expected x86-64-v4, x86-64-v3 or baseline, or unset for the widest this CPU runs");
}

// The instruction sets of each level (the x86-64 psABI's levels, as g++'s -march names them), read independently of
// libgcc from the flags the kernel reports in /proc/cpuinfo.
TEST(CpuVariant, SupportedVariantsMatchProcCpuinfo) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  if (flags.empty()) GTEST_SKIP() << "no flags line in /proc/cpuinfo";
  auto has = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (flags.count(n) == 0) return false;
    }
    return true;
  };
  const bool v2 = has({"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"});
  const bool v3 = v2 && has({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"});
  const bool v4 = v3 && has({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"});
  const unsigned expected =
      bit(Variant::baseline) | (v3 ? bit(Variant::x86_64_v3) : 0u) | (v4 ? bit(Variant::x86_64_v4) : 0u);
  EXPECT_EQ(supported_variants(), expected);
}

TEST(CpuVariant, TheSelectedIsTheForcedOneOrTheWidest) {
  const std::string requested = requested_variant();
  RecordProperty("variant", variant_name(selected_variant()));
  if (!requested.empty()) {
    EXPECT_EQ(variant_name(selected_variant()), requested);
    return;
  }
  const unsigned available = compiled_variants() & supported_variants();
  for (Variant v : kVariants) {
    if (available & bit(v)) {
      EXPECT_EQ(selected_variant(), v) << variant_name(v) << " is the widest available";
      return;
    }
  }
}

#if TINT_CPU_VARIANTS
// a * b + c as the kernels' variants compile it, compiled here: see TheSelectedVariantsArithmeticRuns.
__attribute__((target("arch=x86-64-v3"), noinline)) float multiply_add_with_fma(float a, float b, float c) {
  return a * b + c;
}
__attribute__((noinline)) float multiply_add_without_fma(float a, float b, float c) { return a * b + c; }
#endif

// The selected variant's code runs, by what it computes: (1 + 2^-12)^2 - (1 + 2^-11) is 2^-24 exactly, which a fused
// multiply-add keeps (x86-64-v3 and v4, where g++ contracts a * b + c at -O2 and above) and a rounded product loses
// (1 + 2^-11 + 2^-24 is a tie that rounds to 1 + 2^-11: baseline x86-64 gives 0). The two results expected are
// computed here, by the same expression compiled for x86-64-v3 and for baseline.
TEST(CpuVariant, TheSelectedVariantsArithmeticRuns) {
#if TINT_CPU_VARIANTS
  volatile float a = 1.0f + std::ldexp(1.0f, -12), c = -(1.0f + std::ldexp(1.0f, -11));
  const float with_fma = multiply_add_with_fma(a, a, c), without_fma = multiply_add_without_fma(a, a, c);
  if (with_fma == without_fma) {
    GTEST_SKIP() << "this build does not contract a * b + c (optimized below -O2), so results cannot tell the "
                    "variants apart; TheSelectedVariantsKernelsRun still checks which ran";
  }
  ASSERT_EQ(with_fma, std::ldexp(1.0f, -24));
  ASSERT_EQ(without_fma, 0.0f);
  const Variant selected = selected_variant();
  test::take_kernels_run();
  EXPECT_EQ(multiply_add(a, a, c), selected == Variant::baseline ? without_fma : with_fma) << variant_name(selected);
  EXPECT_EQ(test::take_kernels_run(), bit(selected));
#else
  GTEST_SKIP() << "this build compiles the kernels for baseline only";
#endif
}

// Each fused op's kernels, forward and backward, float32 and bfloat16, are the selected variant's and no other's.
TEST(CpuVariant, TheSelectedVariantsKernelsRun) {
  for (auto type : {torch::kFloat, torch::kBFloat16}) {
    SCOPED_TRACE(::testing::Message() << type);
    auto x = torch::randn({2, 16, 4, 4}).to(type).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_(true);
    test::take_kernels_run();
    auto y = max_pool2x2(batch_norm_relu(x, torch::ones({16}), torch::zeros({16}), {}, {}, true, 0.1, 1e-5));
    EXPECT_TRUE(test::selected_variant_ran(test::take_kernels_run())) << "forward";
    y.sum().backward();
    EXPECT_TRUE(test::selected_variant_ran(test::take_kernels_run())) << "backward";
    auto logits = torch::randn({40, 24}).to(type).requires_grad_(true);
    cross_entropy(logits, torch::zeros({40}, torch::kLong)).backward();
    EXPECT_TRUE(test::selected_variant_ran(test::take_kernels_run())) << "cross-entropy";
  }
}

}  // namespace
}  // namespace tint::ops::cpu
