// Gradient descent on log(eta) with validation hypergradients (see hyper_loop.h).
#include "tint/optim/hyper_loop.h"

#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::optim {

std::vector<HyperLoopStep> optimize_learning_rate(const Unrolled& validation, const HyperLoopOptions& o) {
  if (!validation.X_eval.defined()) throw Error("the hyper-optimization loop needs a validation set");
  if (!(o.eta0 > 0.0)) throw Error(fmt::format("--hyper-eta0 must be positive, got {}", o.eta0));
  if (!(o.lambda >= 0.0)) throw Error(fmt::format("--lambda must be non-negative, got {}", o.lambda));
  if (o.hyper_steps < 0) throw Error(fmt::format("--hyper-steps must be at least 0, got {}", o.hyper_steps));
  if (!(o.hyper_lr > 0.0)) throw Error(fmt::format("--hyper-lr must be positive, got {}", o.hyper_lr));
  if (!(o.max_log_step > 0.0)) throw Error(fmt::format("the log-step cap must be positive, got {}", o.max_log_step));
  Unrolled training = validation;
  training.X_eval = torch::Tensor();
  training.t_eval = torch::Tensor();

  std::vector<HyperLoopStep> path;
  double log_eta = std::log(o.eta0);
  for (int64_t k = 0; k <= o.hyper_steps; ++k) {
    HyperLoopStep s;
    s.iteration = k;
    s.eta = std::exp(log_eta);
    const auto h = forward_hypergradient(validation, s.eta, o.lambda);
    s.validation_loss = h.loss;
    s.training_loss = unrolled_loss(training, s.eta, o.lambda);
    s.d_log_eta = s.eta * h.d_eta;  // chain rule: d/dlog(eta) = eta d/deta
    double step = o.hyper_lr * s.d_log_eta;
    if (!std::isfinite(step) || std::abs(step) > o.max_log_step) {
      // A non-finite step means the inner run blew up: eta is far too large, so step down.
      step = std::isfinite(step) ? std::copysign(o.max_log_step, step) : o.max_log_step;
      s.capped = true;
    }
    path.push_back(s);
    log_eta -= step;
  }
  return path;
}

}  // namespace tint::optim
