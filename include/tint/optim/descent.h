// Runs one optimizer (update_rules.h) on the least-squares loss (1/n)||Xw - t||^2 from a given start until the
// residual ||Xw - t|| falls below a tolerance, reporting every iterate to an observer. SGD draws its mini-batches
// without replacement: each epoch is a fresh seeded permutation of the rows, cut into batches of b.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include <torch/types.h>

#include "tint/optim/update_rules.h"

namespace tint::optim {

struct DescentOptions {
  Method method = Method::GD;
  RuleOptions rule;
  int64_t batch = 1;           // SGD's mini-batch size b, 1 <= b <= n; the other methods use every row
  double tol = 1e-10;          // stop once ||Xw - t|| < tol
  int64_t max_steps = 100000;  // give up (converged = false) after this many updates
  uint64_t seed = 0;           // SGD's batch order
};

struct DescentResult {
  torch::Tensor w;         // (d) the last iterate
  int64_t steps = 0;       // updates taken
  bool converged = false;  // residual < tol
  bool diverged = false;   // the residual became non-finite (the learning rate is too large)
  double residual = 0.0;   // ||Xw - t|| at the end
};

// Called with (0, w0) and then (k, w_k) after every update k; it must not modify w.
using StepObserver = std::function<void(int64_t step, const torch::Tensor& w)>;

// X (n, d), t (n), w0 (d), all float64. Throws tint::Error when batch is out of [1, n] for SGD.
DescentResult descend(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0,
                      const DescentOptions& options, const StepObserver& observe = {});

}  // namespace tint::optim
