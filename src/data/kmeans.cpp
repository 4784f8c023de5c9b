// Weighted k-means (k-means++ seeding + Lloyd iterations), used to find the colour palette.
//
// The horses alone have 1.5 million distinct colours, and Lloyd needs many iterations before no assignment changes,
// so the assignment step uses Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM 2010): each point
// keeps an upper bound on the distance to its centre and a lower bound on the distance to any other; when the
// bounds separate, the point cannot change cluster and is skipped. The result is exactly Lloyd's (same assignments,
// same centres); only the work changes. Everything is double precision and exact distances (no ||x||^2 - 2x.c
// cancellation), so the recorded objective is monotone up to rounding of its sum.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/palette.h"

namespace tint::data {
namespace {

// Uniform in [0, 1) from the top 53 bits: the same stream on every standard library.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct Problem {
  int64_t n = 0, dim = 0;
  const double* x = nullptr;  // (n, dim) row-major
  const double* w = nullptr;  // (n)
  const double* point(int64_t i) const { return x + i * dim; }
};

double sq_dist(const double* a, const double* b, int64_t dim) {
  double s = 0.0;
  for (int64_t d = 0; d < dim; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
  return s;
}

// Index i with cumulative[i-1] <= target < cumulative[i].
int64_t sample_index(const std::vector<double>& cumulative, double target) {
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
  return std::min<int64_t>(it - cumulative.begin(), static_cast<int64_t>(cumulative.size()) - 1);
}

// k-means++: each next centre drawn with probability proportional to weight x squared distance to the chosen ones.
std::vector<double> seed_centres(const Problem& p, int k, std::mt19937_64& rng) {
  std::vector<double> centres;
  std::vector<double> d2(p.n, std::numeric_limits<double>::infinity()), mass(p.n);
  double total = 0.0;
  for (int64_t i = 0; i < p.n; ++i) mass[i] = total += p.w[i];
  int64_t next = sample_index(mass, uniform01(rng) * total);
  while (true) {
    centres.insert(centres.end(), p.point(next), p.point(next) + p.dim);
    if (static_cast<int>(centres.size() / p.dim) == k) break;
    const double* c = p.point(next);
    at::parallel_for(0, p.n, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) d2[i] = std::min(d2[i], sq_dist(p.point(i), c, p.dim));
    });
    total = 0.0;
    for (int64_t i = 0; i < p.n; ++i) mass[i] = total += p.w[i] * d2[i];
    if (!(total > 0.0)) break;  // every point sits on a centre: fewer distinct points than k
    next = sample_index(mass, uniform01(rng) * total);
  }
  return centres;
}

class Hamerly {
 public:
  Hamerly(const Problem& p, std::vector<double> centres)
      : p_(p),
        k_(static_cast<int64_t>(centres.size()) / p.dim),
        c_(std::move(centres)),
        assign_(p.n, 0),
        upper_(p.n, 0.0),
        lower_(p.n, 0.0),
        half_gap_(k_, 0.0) {
    at::parallel_for(0, p_.n, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) full_search(i);
    });
  }

  int64_t k() const { return k_; }
  const std::vector<double>& centres() const { return c_; }
  const std::vector<int64_t>& assignment() const { return assign_; }

  // One assignment pass; returns how many points changed cluster.
  int64_t assign() {
    update_half_gaps();
    return at::parallel_reduce(
        0, p_.n, 4096, int64_t{0},
        [&](int64_t b, int64_t e, int64_t changed) {
          for (int64_t i = b; i < e; ++i) {
            const double bound = std::max(half_gap_[assign_[i]], lower_[i]);
            if (upper_[i] <= bound) continue;
            upper_[i] = std::sqrt(sq_dist(p_.point(i), centre(assign_[i]), p_.dim));
            if (upper_[i] <= bound) continue;
            const int64_t before = assign_[i];
            full_search(i);
            changed += assign_[i] != before;
          }
          return changed;
        },
        std::plus<int64_t>());
  }

  // Per-cluster weight and weighted coordinate sums of the current assignment, and the objective (weighted sum of
  // squared distances to the assigned centres). Blocks are fixed and summed in order, so the result does not
  // depend on the thread count.
  struct Totals {
    std::vector<double> mass, sums;
    double objective = 0.0;
  };
  Totals totals() const {
    constexpr int64_t kBlock = 32768;
    const int64_t blocks = (p_.n + kBlock - 1) / kBlock;
    std::vector<Totals> part(blocks);
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        Totals& t = part[b];
        t.mass.assign(k_, 0.0);
        t.sums.assign(c_.size(), 0.0);
        for (int64_t i = b * kBlock; i < std::min(p_.n, (b + 1) * kBlock); ++i) {
          const int64_t j = assign_[i];
          const double w = p_.w[i];
          t.mass[j] += w;
          for (int64_t d = 0; d < p_.dim; ++d) t.sums[j * p_.dim + d] += w * p_.point(i)[d];
          t.objective += w * sq_dist(p_.point(i), centre(j), p_.dim);
        }
      }
    });
    Totals all{std::vector<double>(k_, 0.0), std::vector<double>(c_.size(), 0.0), 0.0};
    for (const auto& t : part) {
      for (int64_t j = 0; j < k_; ++j) all.mass[j] += t.mass[j];
      for (size_t m = 0; m < all.sums.size(); ++m) all.sums[m] += t.sums[m];
      all.objective += t.objective;
    }
    return all;
  }

  // Moves an emptied cluster's centre onto the point farthest from its own centre (its cost drops to zero).
  // Returns false when no cluster is empty.
  bool reseed_empty_cluster(const Totals& t) {
    auto empty = std::find(t.mass.begin(), t.mass.end(), 0.0);
    if (empty == t.mass.end()) return false;
    const int64_t j = empty - t.mass.begin();
    int64_t far = 0;
    double far_cost = -1.0;
    for (int64_t i = 0; i < p_.n; ++i) {
      double cost = p_.w[i] * sq_dist(p_.point(i), centre(assign_[i]), p_.dim);
      if (cost > far_cost) far_cost = cost, far = i;
    }
    std::vector<double> moved(c_);
    std::copy(p_.point(far), p_.point(far) + p_.dim, moved.begin() + j * p_.dim);
    move_centres(moved);
    assign_[far] = j;
    upper_[far] = 0.0;
    lower_[far] = 0.0;  // unknown: forces an exact check next pass
    return true;
  }

  // Lloyd's update: every centre becomes the weighted mean of its points.
  void update_centres(const Totals& t) {
    std::vector<double> next(c_);
    for (int64_t j = 0; j < k_; ++j) {
      if (t.mass[j] == 0.0) continue;
      for (int64_t d = 0; d < p_.dim; ++d) next[j * p_.dim + d] = t.sums[j * p_.dim + d] / t.mass[j];
    }
    move_centres(next);
  }

 private:
  const double* centre(int64_t j) const { return c_.data() + j * p_.dim; }

  void full_search(int64_t i) {
    double best = std::numeric_limits<double>::infinity(), second = best;
    int64_t best_j = 0;
    for (int64_t j = 0; j < k_; ++j) {
      double d = sq_dist(p_.point(i), centre(j), p_.dim);
      if (d < best) {
        second = best, best = d, best_j = j;
      } else if (d < second) {
        second = d;
      }
    }
    assign_[i] = best_j;
    upper_[i] = std::sqrt(best);
    lower_[i] = k_ > 1 ? std::sqrt(second) : std::numeric_limits<double>::infinity();
  }

  void update_half_gaps() {
    for (int64_t j = 0; j < k_; ++j) {
      double nearest = std::numeric_limits<double>::infinity();
      for (int64_t m = 0; m < k_; ++m) {
        if (m != j) nearest = std::min(nearest, std::sqrt(sq_dist(centre(j), centre(m), p_.dim)));
      }
      half_gap_[j] = 0.5 * nearest;
    }
  }

  // Replaces the centres and loosens every bound by how far the centres moved (keeps the bounds valid).
  void move_centres(const std::vector<double>& next) {
    std::vector<double> shift(k_);
    int64_t largest = 0;
    for (int64_t j = 0; j < k_; ++j) {
      shift[j] = std::sqrt(sq_dist(centre(j), next.data() + j * p_.dim, p_.dim));
      if (shift[j] > shift[largest]) largest = j;
    }
    double second_largest = 0.0;
    for (int64_t j = 0; j < k_; ++j) {
      if (j != largest) second_largest = std::max(second_largest, shift[j]);
    }
    c_ = next;
    at::parallel_for(0, p_.n, 16384, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t a = assign_[i];
        upper_[i] += shift[a];
        lower_[i] -= (a == largest) ? second_largest : shift[largest];
      }
    });
  }

  const Problem& p_;
  int64_t k_;
  std::vector<double> c_;         // (k, dim)
  std::vector<int64_t> assign_;   // (n)
  std::vector<double> upper_;     // (n) >= distance to the assigned centre
  std::vector<double> lower_;     // (n) <= distance to every other centre
  std::vector<double> half_gap_;  // (k) half the distance to the nearest other centre
};

}  // namespace

KMeansResult kmeans(const torch::Tensor& points_in, const torch::Tensor& weights_in, const KMeansOptions& options) {
  if (options.k < 1) throw Error(fmt::format("k-means: k must be at least 1, got {}", options.k));
  if (options.max_iterations < 1) {
    throw Error(fmt::format("k-means: max iterations must be at least 1, got {}", options.max_iterations));
  }
  TORCH_CHECK(points_in.dim() == 2 && points_in.size(0) > 0, "k-means expects (P, D) points, got ", points_in.sizes());
  TORCH_CHECK(weights_in.dim() == 1 && weights_in.size(0) == points_in.size(0), "k-means weights must be (P)");
  TORCH_CHECK((weights_in >= 0).all().item<bool>() && (weights_in > 0).any().item<bool>(),
              "k-means weights must be >= 0 with a positive total");
  auto points = points_in.to(torch::kFloat64).contiguous();
  auto weights = weights_in.to(torch::kFloat64).contiguous();
  Problem problem{points.size(0), points.size(1), points.data_ptr<double>(), weights.data_ptr<double>()};

  std::mt19937_64 rng(options.seed);
  Hamerly state(problem, seed_centres(problem, options.k, rng));
  KMeansResult result;
  for (int it = 0; it < options.max_iterations; ++it) {
    int64_t changed = it == 0 ? problem.n : state.assign();
    auto totals = state.totals();
    while (state.reseed_empty_cluster(totals)) {
      ++changed;
      totals = state.totals();
    }
    result.objective.push_back(totals.objective);
    result.iterations = it + 1;
    if (it > 0 && changed == 0) {
      result.converged = true;
      break;
    }
    state.update_centres(totals);
  }
  const auto k = state.k();
  result.centres =
      torch::from_blob(const_cast<double*>(state.centres().data()), {k, problem.dim}, torch::kFloat64).clone();
  result.assignment =
      torch::from_blob(const_cast<int64_t*>(state.assignment().data()), {problem.n}, torch::kInt64).clone();
  return result;
}

}  // namespace tint::data
