// The padding solver against real LibTorch layers (every candidate padding built and run), against the networks'
// own rule in models/padding.h, and the source's question 5.4 values.
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/analysis/padding_solver.h"
#include "tint/core/error.h"
#include "tint/models/padding.h"

namespace tint::analysis {
namespace {

TEST(PaddingSolver, Question54) {
  // Figure 1b's shapes for kernels 3, 4, 5: stride-2 convolutions 32 -> 16, transposed 16 -> 32.
  //   conv:  floor((32 + 2p - k) / 2) + 1 = 16  <=>  2p in {k - 2, k - 1}:  k=3: p=1, k=4: p=1, k=5: p=2
  //   convT: 15*2 - 2p + k + op = 32           <=>  2p - op = k - 2:       k=3: (1,1), k=4: (1,0), k=5: (2,1)
  const std::vector<std::tuple<int, int, int, int>> expected{{3, 1, 1, 1}, {4, 1, 1, 0}, {5, 2, 2, 1}};
  for (auto [k, conv_p, convt_p, convt_op] : expected) {
    const auto down = solve_padding({k, 2, 1, 32, 16, false});
    ASSERT_FALSE(down.solutions.empty()) << k;
    EXPECT_EQ(down.solutions.front().before, conv_p) << k;
    EXPECT_TRUE(down.solutions.front().symmetric());
    const auto up = solve_padding({k, 2, 1, 16, 32, true});
    ASSERT_FALSE(up.solutions.empty()) << k;
    EXPECT_EQ(up.solutions.front().before, convt_p) << k;
    EXPECT_EQ(up.solutions.front().output_padding, convt_op) << k;
  }
}

TEST(PaddingSolver, AgreesWithTheNetworksRule) {
  for (int k = 1; k <= 15; ++k)
    for (int d = 1; d <= 3; ++d) {
      const auto same = solve_padding({k, 1, d, 32, 32, false}).solutions.at(0);
      EXPECT_EQ(same.before, models::same_padding(k, d).before) << k << " d" << d;
      EXPECT_EQ(same.after, models::same_padding(k, d).after) << k << " d" << d;
      const auto half = solve_padding({k, 2, d, 32, 16, false}).solutions.at(0);
      EXPECT_EQ(half.before, models::halving_padding(k, d)) << k << " d" << d;
      EXPECT_TRUE(half.symmetric());
      const auto twice = solve_padding({k, 2, d, 16, 32, true}).solutions.at(0);
      EXPECT_EQ(twice.before, models::doubling_padding(k, d).padding) << k << " d" << d;
      EXPECT_EQ(twice.output_padding, models::doubling_padding(k, d).output_padding) << k << " d" << d;
    }
}

TEST(PaddingSolver, ExactlyTheCandidatesThatRealLayersConfirm) {
  // Brute force with real layers: every padding (and output padding) in range is built and run; the solver must
  // list exactly the symmetric ones that give the wanted size.
  for (bool transposed : {false, true})
    for (int k : {1, 2, 3, 4, 5})
      for (int s : {1, 2, 3})
        for (int d : {1, 2})
          for (int64_t in : {7, 8}) {
            const int e = d * (k - 1) + 1;
            std::set<int64_t> reachable;
            for (int p = 0; p < e; ++p)
              for (int op = 0; op < (transposed ? std::max(s, d) : 1); ++op) {
                PaddingProblem probe{k, s, d, in, 1, transposed};
                if (output_size(probe, {p, p, op}) < 1) continue;  // LibTorch rejects an empty output
                const int64_t out = run_layer(probe, {p, p, op});
                EXPECT_EQ(out, output_size(probe, {p, p, op}));
                reachable.insert(out);
              }
            for (int64_t out : reachable) {
              const PaddingProblem problem{k, s, d, in, out, transposed};
              const auto answer = solve_padding(problem);
              ASSERT_FALSE(answer.solutions.empty());
              for (const auto& sol : answer.solutions) {
                if (!transposed && !sol.symmetric()) continue;
                EXPECT_EQ(run_layer(problem, sol), out);
              }
              // Every symmetric candidate that works is listed.
              size_t working = 0;
              for (int p = 0; p < e; ++p)
                for (int op = 0; op < (transposed ? std::max(s, d) : 1); ++op)
                  if (output_size(problem, {p, p, op}) == out) ++working;
              EXPECT_EQ(answer.solutions.size(), working) << k << " s" << s << " d" << d << " " << in << "->" << out;
            }
          }
}

TEST(PaddingSolver, AsymmetricWhenNoSymmetricPaddingWorks) {
  // Kernel 4, stride 1, 32 -> 32 needs 3 zeros in all: 1 before and 2 after (as 'same' pads an even kernel).
  const PaddingProblem p{4, 1, 1, 32, 32, false};
  const auto a = solve_padding(p);
  ASSERT_EQ(a.solutions.size(), 1u);
  EXPECT_EQ(a.solutions[0].before, 1);
  EXPECT_EQ(a.solutions[0].after, 2);
  EXPECT_EQ(run_layer(p, a.solutions[0]), 32);
}

TEST(PaddingSolver, NoSolutionIsExplained) {
  const auto a = solve_padding({3, 1, 1, 32, 40, false});
  EXPECT_TRUE(a.solutions.empty());
  EXPECT_NE(a.reason.find("30..34"), std::string::npos) << a.reason;
  // Transposed stride 2 kernel 3 from 16: 2p - op = 33 - out; out = 20 would need p = 6.5.. > e - 1.
  const auto t = solve_padding({3, 2, 1, 16, 20, true});
  EXPECT_TRUE(t.solutions.empty());
  EXPECT_FALSE(t.reason.empty());
  EXPECT_THROW(solve_padding({0, 1, 1, 32, 32, false}), Error);
  try {
    solve_padding({3, 1, 1, 0, 32, false});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--in"), std::string::npos);
  }
}

}  // namespace
}  // namespace tint::analysis
