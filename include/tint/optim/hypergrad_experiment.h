// `tint optim hypergrad` (section 2): hypergradients of t steps of GD on L2-regularized regression.
//  1. dL~_t/deta and dL~_t/dlambda by reverse mode (autograd through the unrolled graph) and forward mode (tangents
//     carried alongside w), each against central finite differences, at every t of a sweep;
//  2. the peak tensor memory of each mode against t (question 2.1.2: reverse grows O(t), forward stays O(1)),
//     measured with AllocationProbe (memory_probe.h);
//  3. the one-step optimal learning rate (one_step.h);
//  4. gradient descent on log(eta) with the hypergradient of a validation loss (hyper_loop.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/optim/hyper_loop.h"
#include "tint/optim/hypergradient.h"
#include "tint/optim/one_step.h"
#include "tint/optim/problem.h"

namespace tint::optim {

struct HypergradOptions {
  RegressionOptions problem{/*n=*/20, /*d=*/100, /*n_validation=*/100, /*noise=*/0.5, /*seed=*/0};
  double eta = 0.002;                                    // learning rate at which the hypergradients are checked
  double lambda = 0.01;                                  // L2 weight
  std::vector<int64_t> steps{1, 10, 50, 100, 200, 400};  // the t of the checks and the memory sweep
  double fd_step = 1e-5;                                 // relative step of the finite differences (hypergradient.h)
  int64_t grid_points = 201;
  HyperLoopOptions loop;          // its lambda is set from `lambda`; inner steps are loop_steps
  int64_t loop_steps = 100;       // t of the hyper-optimization loop
  std::filesystem::path out_dir;  // empty: compute only
};

struct HypergradCheck {
  int64_t steps = 0;
  Hypergradient reverse, forward, finite_difference;
  double eta_error_reverse = 0.0, eta_error_forward = 0.0;  // relative to finite differences
  double lambda_error_reverse = 0.0, lambda_error_forward = 0.0;
  int64_t peak_bytes_reverse = 0, peak_bytes_forward = 0;  // peak tensor storage of the call
};

struct HypergradResult {
  std::vector<HypergradCheck> checks;   // one per t, ascending
  double max_relative_error = 0.0;      // over every check, both modes, both hyper-parameters
  double reverse_bytes_per_step = 0.0;  // least-squares slope of the reverse-mode peak against t
  int64_t forward_peak_spread = 0;      // max - min of the forward-mode peaks over the sweep
  OneStepResult one_step;
  std::vector<HyperLoopStep> loop;
  std::string summary;
  std::vector<std::filesystem::path> files;
};

// Throws tint::Error naming the flag of a bad setting.
HypergradResult run_hypergrad(const HypergradOptions& options);

}  // namespace tint::optim
