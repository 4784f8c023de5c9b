// Gradient-based hyper-parameter optimization (section 2): gradient descent on log(eta), the learning rate of t
// inner GD steps on the regularized training loss, following the hypergradient of a validation loss:
//   log eta <- log eta - hyper_lr * eta * dL_val(w_t)/deta.
// Working on log(eta) keeps eta positive and makes the step relative. The hypergradient is forward mode (O(1)
// memory in t; it equals reverse mode to rounding, which the hypergrad experiment checks).
#pragma once

#include <cstdint>
#include <vector>

#include "tint/optim/hypergradient.h"

namespace tint::optim {

struct HyperLoopOptions {
  double eta0 = 1e-4;        // starting learning rate
  double lambda = 0.01;      // L2 weight of the inner training loss (held fixed)
  int64_t hyper_steps = 40;  // outer iterations
  double hyper_lr = 20.0;    // step size on log(eta)
  // The largest change of log(eta) per outer step: a step that would leave GD's stable range makes the validation
  // loss, and so the hypergradient, explode; capping the step (counted in `capped`) keeps one such step from
  // throwing eta to zero.
  double max_log_step = 1.0;
};

struct HyperLoopStep {
  int64_t iteration = 0;
  double eta = 0.0;
  double validation_loss = 0.0;  // L_val(w_t(eta))
  double training_loss = 0.0;    // L~(w_t(eta)) on the training set
  double d_log_eta = 0.0;        // eta * dL_val/deta
  bool capped = false;           // the step on log(eta) was capped at max_log_step
};

// `validation` must have X_eval / t_eval set (the objective); its X, t, w0 and steps define the inner GD run.
// Returns hyper_steps + 1 entries: the start and every iterate. Throws tint::Error naming the flag of a bad option.
std::vector<HyperLoopStep> optimize_learning_rate(const Unrolled& validation, const HyperLoopOptions& options);

}  // namespace tint::optim
