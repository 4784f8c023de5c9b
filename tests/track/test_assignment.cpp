// The assignment solver against brute force: every injective pairing of rows and columns on random small matrices,
// square and rectangular both ways, for the plain problem, the gated one and the maximum matching.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "tint/core/error.h"
#include "tint/track/assignment.h"

namespace tint::track {
namespace {

// Every injective map of the smaller side into the larger, as (row, col) pairs (next_permutation over the larger
// side; the first `small` positions give every injective map, some several times).
template <typename Visit>
void for_each_full_pairing(int rows, int cols, Visit visit) {
  const bool by_rows = rows <= cols;
  const int small = by_rows ? rows : cols, large = by_rows ? cols : rows;
  std::vector<int> order(large);
  std::iota(order.begin(), order.end(), 0);
  do {
    std::vector<std::pair<int, int>> pairs;
    for (int k = 0; k < small; ++k) pairs.emplace_back(by_rows ? k : order[k], by_rows ? order[k] : k);
    visit(pairs);
  } while (std::next_permutation(order.begin(), order.end()));
}

CostMatrix random_matrix(std::mt19937& rng, int rows, int cols, bool integers) {
  CostMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      m(r, c) = integers ? static_cast<double>(rng() % 5) : static_cast<double>(rng() % 100000) / 10000.0;
  return m;
}

// Whether `pairs` uses each row and column at most once.
bool one_to_one(const std::vector<std::pair<int, int>>& pairs) {
  std::set<int> rows, cols;
  for (const auto& [r, c] : pairs)
    if (!rows.insert(r).second || !cols.insert(c).second) return false;
  return true;
}

TEST(Assignment, HungarianEqualsBruteForceOnRandomMatrices) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 6), cols = 1 + static_cast<int>(rng() % 6);
    const CostMatrix cost = random_matrix(rng, rows, cols, trial % 2 == 0);  // integers: many ties
    double best = std::numeric_limits<double>::infinity();
    for_each_full_pairing(rows, cols, [&](const auto& pairs) {
      double sum = 0;
      for (const auto& [r, c] : pairs) sum += cost(r, c);
      best = std::min(best, sum);
    });
    const std::vector<int> assignment = solve_assignment(cost);
    ASSERT_EQ(static_cast<int>(assignment.size()), rows);
    std::vector<std::pair<int, int>> pairs;
    double sum = 0;
    for (int r = 0; r < rows; ++r)
      if (assignment[r] >= 0) {
        ASSERT_LT(assignment[r], cols);
        pairs.emplace_back(r, assignment[r]);
        sum += cost(r, assignment[r]);
      }
    ASSERT_TRUE(one_to_one(pairs)) << rows << " x " << cols;
    ASSERT_EQ(static_cast<int>(pairs.size()), std::min(rows, cols)) << "the smaller side is fully paired";
    ASSERT_NEAR(sum, best, 1e-9) << "trial " << trial << ", " << rows << " x " << cols;
  }
}

TEST(Assignment, GatedAssignmentEqualsBruteForceOverPartialMatchings) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 5), cols = 1 + static_cast<int>(rng() % 5);
    CostMatrix cost = random_matrix(rng, rows, cols, false);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) cost(r, c) /= 10.0;  // costs in [0, 1), as 1 - IoU
    if (trial % 3 == 0) cost(0, 0) = kForbidden;
    const double limit = 0.5;
    // The best partial matching: any partial matching is part of a full pairing, and within a full pairing the best
    // partial one keeps exactly the pairs below the limit.
    double best = 0;
    for_each_full_pairing(rows, cols, [&](const auto& pairs) {
      double sum = 0;
      for (const auto& [r, c] : pairs)
        if (cost(r, c) <= limit) sum += cost(r, c) - limit;
      best = std::min(best, sum);
    });
    const Matching m = gated_assignment(cost, limit);
    ASSERT_TRUE(one_to_one(m.pairs));
    double sum = 0;
    for (const auto& [r, c] : m.pairs) {
      ASSERT_LE(cost(r, c), limit) << "a pair above the limit was matched";
      sum += cost(r, c) - limit;
    }
    ASSERT_NEAR(sum, best, 1e-9) << "trial " << trial;
    ASSERT_EQ(m.pairs.size() + m.unmatched_rows.size(), static_cast<std::size_t>(rows));
    ASSERT_EQ(m.pairs.size() + m.unmatched_cols.size(), static_cast<std::size_t>(cols));
  }
}

TEST(Assignment, MaximumMatchingHasTheMostPairsThenTheLeastCost) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 5), cols = 1 + static_cast<int>(rng() % 5);
    CostMatrix cost = random_matrix(rng, rows, cols, false);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) cost(r, c) /= 10.0;
    const double limit = 0.6;
    std::size_t best_count = 0;
    double best_cost = 0;
    for_each_full_pairing(rows, cols, [&](const auto& pairs) {
      std::size_t count = 0;
      double sum = 0;
      for (const auto& [r, c] : pairs)
        if (cost(r, c) <= limit) {
          ++count;
          sum += cost(r, c);
        }
      if (count > best_count || (count == best_count && sum < best_cost)) {
        best_count = count;
        best_cost = sum;
      }
    });
    const Matching m = maximum_matching(cost, limit);
    ASSERT_TRUE(one_to_one(m.pairs));
    double sum = 0;
    for (const auto& [r, c] : m.pairs) {
      ASSERT_LE(cost(r, c), limit);
      sum += cost(r, c);
    }
    ASSERT_EQ(m.pairs.size(), best_count) << "trial " << trial;
    ASSERT_NEAR(sum, best_cost, 1e-9) << "trial " << trial;
  }
}

// Worked by hand: a cheap pair and an expensive one against one that is cheaper in total.
// Costs [[0.1, 0.3], [0.2, 0.9]] with limit 0.8: the full optimum is (0,1) + (1,0) = 0.5 (against 1.0), both within
// the limit. Gated, the pair (1,1) = 0.9 may never be used, and (0,0) alone is worth 0.1 - 0.8 = -0.7 against the
// cross's (0.3 - 0.8) + (0.2 - 0.8) = -1.1: the cross again.
TEST(Assignment, HandWorkedGatedCases) {
  CostMatrix cost(2, 2);
  cost(0, 0) = 0.1, cost(0, 1) = 0.3, cost(1, 0) = 0.2, cost(1, 1) = 0.9;
  const Matching m = gated_assignment(cost, 0.8);
  EXPECT_EQ(m.pairs, (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
  // With the limit at 0.25 only (0,0) and (1,0) are allowed, and they share column 0: (1,0) is worth -0.05, (0,0)
  // -0.15, so row 0 takes column 0 and row 1 stays alone.
  const Matching tight = gated_assignment(cost, 0.25);
  EXPECT_EQ(tight.pairs, (std::vector<std::pair<int, int>>{{0, 0}}));
  EXPECT_EQ(tight.unmatched_rows, std::vector<int>{1});
  EXPECT_EQ(tight.unmatched_cols, std::vector<int>{1});
  // Solving the full problem and then dropping the pairs above the limit is not the same: with costs
  // [[0.4, 100], [0.0, 0.9]] and limit 0.5 the full optimum is (0,0) + (1,1) = 1.3 (against 100), and dropping
  // (1,1) leaves (0,0), a mediocre pair, while the perfect pair (1,0) goes unmatched. Gated, (0,0) is worth -0.1 and
  // (1,0) -0.5: (1,0) is kept.
  CostMatrix trap(2, 2);
  trap(0, 0) = 0.4, trap(0, 1) = 100, trap(1, 0) = 0.0, trap(1, 1) = 0.9;
  EXPECT_EQ(solve_assignment(trap), (std::vector<int>{0, 1}));
  const Matching gated = gated_assignment(trap, 0.5);
  EXPECT_EQ(gated.pairs, (std::vector<std::pair<int, int>>{{1, 0}}));
  EXPECT_EQ(gated.unmatched_rows, std::vector<int>{0});
  EXPECT_EQ(gated.unmatched_cols, std::vector<int>{1});
  // Empty sides.
  EXPECT_TRUE(gated_assignment(CostMatrix(0, 3), 0.5).pairs.empty());
  EXPECT_EQ(gated_assignment(CostMatrix(2, 0), 0.5).unmatched_rows, (std::vector<int>{0, 1}));
  EXPECT_THROW(solve_assignment(CostMatrix(1, 1, kForbidden)), Error);
}

}  // namespace
}  // namespace tint::track
