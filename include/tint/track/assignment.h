// The linear assignment problem, as the tracker's association and the tracking metrics need it: a rectangular cost
// matrix, an optimal one-to-one pairing of rows and columns (the Hungarian method in its shortest-augmenting-path
// form, Kuhn 1955 / Munkres 1957 with Jonker and Volgenant's potentials, O(rows^2 cols)), and two ways of leaving
// rows and columns unpaired when no acceptable partner exists.
#pragma once

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace tint::track {

// A rows x cols matrix of costs, row-major. +infinity marks a pair that may never be matched (gated_assignment and
// maximum_matching accept it; solve_assignment needs finite costs).
class CostMatrix {
 public:
  CostMatrix() = default;
  CostMatrix(int rows, int cols, double fill = 0.0);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double& operator()(int r, int c) { return values_[static_cast<std::size_t>(r) * cols_ + c]; }
  double operator()(int r, int c) const { return values_[static_cast<std::size_t>(r) * cols_ + c]; }

 private:
  int rows_ = 0;
  int cols_ = 0;
  std::vector<double> values_;
};

constexpr double kForbidden = std::numeric_limits<double>::infinity();

// The optimal assignment: for each row, its column, or -1. Every row is paired when rows <= cols, every column when
// rows > cols, and the sum of the paired costs is the least possible. Throws tint::Error on a non-finite cost.
std::vector<int> solve_assignment(const CostMatrix& cost);

// Pairs kept, with the rows and columns left without a partner (ascending).
struct Matching {
  std::vector<std::pair<int, int>> pairs;  // (row, column), ascending by row
  std::vector<int> unmatched_rows;
  std::vector<int> unmatched_cols;
};

// Gated assignment, as ByteTrack's matching.linear_assignment (lap.lapjv with cost_limit): only pairs with
// cost <= limit may be matched, and among such partial matchings the one with the least sum of (cost - limit) is
// chosen, so that a pair is worth matching exactly when its cost is below the limit. This is solved exactly (not by
// solving the full problem and then dropping the pairs above the limit, which can lose an acceptable pair).
Matching gated_assignment(const CostMatrix& cost, double limit);

// The most pairs with cost <= limit, and among those the least total cost: what CLEAR MOT's per-frame matching needs
// (py-motmetrics solves the same problem: an impossible pair costs more than any set of possible ones).
Matching maximum_matching(const CostMatrix& cost, double limit);

}  // namespace tint::track
