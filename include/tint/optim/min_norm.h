// `tint optim min-norm` (question 1.1.1): on an over-parameterized regression (n < d), mini-batch SGD and full-batch
// GD started at w = 0 both reach the minimum-norm solution w* = X^T (X X^T)^-1 t, because every gradient
// (2/b) B^T (Bw - t_B) lies in the row space of X and so no update ever leaves it. A contrast run starts SGD from a
// random w0: its off-span component never changes, and it ends at distance ||w0 - P w0|| from w* instead.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/optim/descent.h"
#include "tint/optim/problem.h"

namespace tint::optim {

struct MinNormOptions {
  RegressionOptions problem;  // n = 20, d = 100 by default
  int64_t batch = 5;          // SGD mini-batch size
  double lr = 0.01;           // the same learning rate for GD and SGD
  double tol = 1e-10;         // stop once ||Xw - t|| < tol
  int64_t max_steps = 100000;
  double init_scale = 0.1;        // contrast run: SGD from w0 ~ N(0, init_scale^2 I); 0 = no contrast run
  std::filesystem::path out_dir;  // empty: compute only, write nothing
};

struct MinNormStep {
  int64_t step = 0;
  double loss = 0.0;      // (1/n)||Xw - t||^2
  double residual = 0.0;  // ||Xw - t||
  double distance = 0.0;  // ||w - w*||
  double off_span = 0.0;  // ||w - P w||, P the projector onto the row space of X
  double norm = 0.0;      // ||w||
};

struct MinNormRun {
  std::string name;  // "GD", "SGD", "SGD from w0 != 0"
  DescentResult descent;
  std::vector<MinNormStep> history;  // one entry per iterate, step 0 = the start
  double max_off_span = 0.0;         // over every iterate
};

struct MinNormResult {
  torch::Tensor w_star;  // (d)
  double w_star_norm = 0.0;
  MinNormRun gd, sgd;
  std::vector<MinNormRun> contrast;          // the SGD run from a random w0 (empty when init_scale = 0)
  std::string summary;                       // the text of summary.txt, also printed by the CLI
  std::vector<std::filesystem::path> files;  // what was written (empty without out_dir)
};

// Throws tint::Error naming the flag of a bad setting, or --lr when a run diverges.
MinNormResult run_min_norm(const MinNormOptions& options);

}  // namespace tint::optim
