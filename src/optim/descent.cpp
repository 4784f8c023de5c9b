// The optimizer driver (see descent.h).
#include "tint/optim/descent.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/optim/problem.h"

namespace tint::optim {
namespace {

// Mini-batches without replacement: a seeded permutation of the n rows per epoch, cut into batches of b (the last
// one smaller when b does not divide n), so every example is used once per epoch.
class BatchSampler {
 public:
  BatchSampler(int64_t n, int64_t b, uint64_t seed)
      : n_(n), b_(b), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  torch::Tensor next() {  // (b') int64 row indices, b' <= b
    if (!order_.defined() || pos_ >= n_) {
      order_ = torch::randperm(n_, gen_, torch::TensorOptions().dtype(torch::kInt64));
      pos_ = 0;
    }
    const int64_t end = std::min(pos_ + b_, n_);
    auto rows = order_.slice(0, pos_, end);
    pos_ = end;
    return rows;
  }

 private:
  int64_t n_, b_, pos_ = 0;
  at::Generator gen_;
  torch::Tensor order_;  // (n) this epoch's permutation
};

}  // namespace

DescentResult descend(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w0, const DescentOptions& o,
                      const StepObserver& observe) {
  TORCH_CHECK(X.dim() == 2 && t.dim() == 1 && w0.dim() == 1 && X.size(0) == t.size(0) && X.size(1) == w0.size(0),
              "descend: expected X (n, d), t (n), w0 (d), got ", X.sizes(), ", ", t.sizes(), ", ", w0.sizes());
  const int64_t n = X.size(0);
  const bool stochastic = o.method == Method::SGD;
  if (stochastic && (o.batch < 1 || o.batch > n)) {
    throw Error(fmt::format("--batch-size must be between 1 and n = {}, got {}", n, o.batch));
  }
  std::optional<BatchSampler> sampler;
  if (stochastic) sampler.emplace(n, o.batch, o.seed);

  UpdateRule rule(o.method, o.rule);
  DescentResult result;
  result.w = w0.clone();
  result.residual = residual_norm(X, result.w, t);
  if (observe) observe(0, result.w);
  while (!(result.residual < o.tol) && result.steps < o.max_steps) {
    torch::Tensor g;  // (d)
    if (stochastic) {
      auto rows = sampler->next();
      g = mse_gradient(X.index_select(0, rows), result.w, t.index_select(0, rows));
    } else {
      g = mse_gradient(X, result.w, t);
    }
    rule.step(result.w, g);
    ++result.steps;
    result.residual = residual_norm(X, result.w, t);
    if (!std::isfinite(result.residual)) {
      result.diverged = true;
      break;
    }
    if (observe) observe(result.steps, result.w);
  }
  result.converged = result.residual < o.tol;
  return result;
}

}  // namespace tint::optim
