#include "tint/track/assignment.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tint/core/error.h"

namespace tint::track {
namespace {

// The Hungarian method for rows <= cols, as successive shortest augmenting paths with dual potentials (u for rows,
// v for columns): row i is added, a Dijkstra-like search over reduced costs cost - u - v finds the cheapest path to a
// free column, potentials move by each step's least slack (keeping every reduced cost >= 0 and the paired ones 0),
// and the path is flipped. After all rows, the pairing is optimal by complementary slackness. Indices are 1-based
// inside, column 0 standing for "the row being added".
std::vector<int> hungarian_rows_at_most_cols(const CostMatrix& a) {
  const int n = a.rows(), m = a.cols();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), min_slack(m + 1);
  std::vector<int> row_of_col(m + 1, 0), previous_col(m + 1, 0);
  std::vector<char> visited(m + 1);
  for (int i = 1; i <= n; ++i) {
    row_of_col[0] = i;
    int col = 0;
    std::fill(min_slack.begin(), min_slack.end(), inf);
    std::fill(visited.begin(), visited.end(), 0);
    do {  // grow the search tree until it reaches a column with no row
      visited[col] = 1;
      const int row = row_of_col[col];
      double delta = inf;
      int next = 0;
      for (int j = 1; j <= m; ++j) {
        if (visited[j]) continue;
        const double slack = a(row - 1, j - 1) - u[row] - v[j];
        if (slack < min_slack[j]) {
          min_slack[j] = slack;
          previous_col[j] = col;
        }
        if (min_slack[j] < delta) {
          delta = min_slack[j];
          next = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (visited[j]) {
          u[row_of_col[j]] += delta;
          v[j] -= delta;
        } else {
          min_slack[j] -= delta;
        }
      }
      col = next;
    } while (row_of_col[col] != 0);
    do {  // flip the augmenting path
      const int prev = previous_col[col];
      row_of_col[col] = row_of_col[prev];
      col = prev;
    } while (col != 0);
  }
  std::vector<int> col_of_row(n, -1);
  for (int j = 1; j <= m; ++j)
    if (row_of_col[j] != 0) col_of_row[row_of_col[j] - 1] = j - 1;
  return col_of_row;
}

CostMatrix transposed(const CostMatrix& a) {
  CostMatrix t(a.cols(), a.rows());
  for (int r = 0; r < a.rows(); ++r)
    for (int c = 0; c < a.cols(); ++c) t(c, r) = a(r, c);
  return t;
}

// Whether a pair may be matched: a finite cost within the limit (+infinity, kForbidden, never).
bool allowed(double cost, double limit) { return std::isfinite(cost) && cost <= limit; }

// Pairs of `assignment` whose cost is within `limit`; everything else unmatched.
Matching keep_within(const CostMatrix& cost, const std::vector<int>& assignment, double limit) {
  Matching result;
  std::vector<char> col_used(cost.cols(), 0);
  for (int r = 0; r < cost.rows(); ++r) {
    const int c = assignment[r];
    if (c >= 0 && allowed(cost(r, c), limit)) {
      result.pairs.emplace_back(r, c);
      col_used[c] = 1;
    } else {
      result.unmatched_rows.push_back(r);
    }
  }
  for (int c = 0; c < cost.cols(); ++c)
    if (!col_used[c]) result.unmatched_cols.push_back(c);
  return result;
}

}  // namespace

CostMatrix::CostMatrix(int rows, int cols, double fill)
    : rows_(rows), cols_(cols), values_(static_cast<std::size_t>(rows) * cols, fill) {
  if (rows < 0 || cols < 0) throw Error("CostMatrix: negative size");
}

std::vector<int> solve_assignment(const CostMatrix& cost) {
  for (int r = 0; r < cost.rows(); ++r)
    for (int c = 0; c < cost.cols(); ++c)
      if (!std::isfinite(cost(r, c)))
        throw Error("solve_assignment: cost (" + std::to_string(r) + ", " + std::to_string(c) + ") is not finite");
  if (cost.rows() == 0 || cost.cols() == 0) return std::vector<int>(cost.rows(), -1);
  if (cost.rows() <= cost.cols()) return hungarian_rows_at_most_cols(cost);
  const std::vector<int> row_of_col = hungarian_rows_at_most_cols(transposed(cost));
  std::vector<int> col_of_row(cost.rows(), -1);
  for (int c = 0; c < cost.cols(); ++c) col_of_row[row_of_col[c]] = c;
  return col_of_row;
}

// A pair within the limit is worth cost - limit (<= 0), any other pair 0, the same as leaving both unmatched; so the
// full assignment of these shifted costs, less its pairs outside the limit, is the best partial matching.
Matching gated_assignment(const CostMatrix& cost, double limit) {
  if (!std::isfinite(limit)) throw Error("gated_assignment: the limit must be finite");
  CostMatrix shifted(cost.rows(), cost.cols());
  for (int r = 0; r < cost.rows(); ++r)
    for (int c = 0; c < cost.cols(); ++c) shifted(r, c) = allowed(cost(r, c), limit) ? cost(r, c) - limit : 0.0;
  return keep_within(cost, solve_assignment(shifted), limit);
}

// Each allowed pair earns a bonus larger than any difference of total cost between two matchings, so one more pair
// always wins; among matchings with as many pairs, the least cost wins.
Matching maximum_matching(const CostMatrix& cost, double limit) {
  if (!std::isfinite(limit)) throw Error("maximum_matching: the limit must be finite");
  double low = std::numeric_limits<double>::infinity(), high = -low;
  for (int r = 0; r < cost.rows(); ++r)
    for (int c = 0; c < cost.cols(); ++c)
      if (allowed(cost(r, c), limit)) {
        low = std::min(low, cost(r, c));
        high = std::max(high, cost(r, c));
      }
  CostMatrix shifted(cost.rows(), cost.cols());
  if (low <= high) {
    const double most_pairs = std::min(cost.rows(), cost.cols());
    const double bonus = (most_pairs + 1) * (high - low) + 1;
    for (int r = 0; r < cost.rows(); ++r)
      for (int c = 0; c < cost.cols(); ++c) shifted(r, c) = allowed(cost(r, c), limit) ? cost(r, c) - low - bonus : 0.0;
  }
  return keep_within(cost, solve_assignment(shifted), limit);
}

}  // namespace tint::track
