// `tint optim weight-decay` (section 2.3): L2 regularization against decoupled weight decay, equation (5).
//   L2:     w <- w - eta (grad L(w) + 2 lambda~ w)       (GD on L~ = L + lambda~ ||w||^2)
//   decay:  w <- (1 - lambda) w - eta grad L(w)
// For GD the two are the same update when lambda~ = lambda / (2 eta), so their iterates agree to rounding at every
// step. Under RMSProp and Adam the L2 term passes through the per-coordinate rescaling while decoupled decay (AdamW)
// does not, and the runs drift apart; a GD run with the unscaled lambda~ = lambda shows the factor matters. The ridge
// solution ((2/n) X^T X + 2 lambda~ I)^-1 (2/n) X^T t, solved directly, tells which run ends where.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/optim/problem.h"
#include "tint/optim/update_rules.h"

namespace tint::optim {

struct WeightDecayOptions {
  RegressionOptions problem;  // n = 20, d = 100
  double lr = 0.01;           // eta, the same for GD, RMSProp and Adam
  double decay = 0.001;       // lambda of equation (5), per step
  int64_t steps = 1000;
  double beta = 0.9;   // RMSProp
  double beta1 = 0.9;  // Adam
  double beta2 = 0.999;
  double epsilon = 1e-8;          // RMSProp and Adam
  std::filesystem::path out_dir;  // empty: compute only
};

struct DecayComparison {
  std::string name;  // "GD", "RMSProp", "Adam", "GD, lambda~ = lambda"
  Method method = Method::GD;
  double lambda_l2 = 0.0;        // the lambda~ of the L2 run
  torch::Tensor w_l2;            // (d) final weights, L2 in the gradient
  torch::Tensor w_decay;         // (d) final weights, decoupled decay
  std::vector<double> distance;  // ||w_l2 - w_decay|| after each step, index 0 = the start
  double max_distance = 0.0;
  double final_distance = 0.0;
  double loss_l2 = 0.0, loss_decay = 0.0;  // final unregularized loss (1/n)||Xw - t||^2
  // Distances of the final weights from the ridge solution, the minimizer of (1/n)||Xw - t||^2 + lambda~ ||w||^2,
  // which is the fixed point of every method that puts the L2 term in its gradient.
  double l2_to_ridge = 0.0, decay_to_ridge = 0.0;
};

struct WeightDecayResult {
  std::vector<DecayComparison> comparisons;  // GD, RMSProp, Adam, then GD with the unscaled lambda~
  std::string summary;
  std::vector<std::filesystem::path> files;
};

// Throws tint::Error naming the flag of a bad setting.
WeightDecayResult run_weight_decay(const WeightDecayOptions& options);

}  // namespace tint::optim
