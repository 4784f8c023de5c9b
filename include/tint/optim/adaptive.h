// `tint optim adaptive` (questions 1.2.1 and 1.2.2): which solution of an over-parameterized regression does each
// optimizer find? GD and SGD from zero stay in the row space of X and find the minimum-norm solution; RMSProp, Adam
// and Adagrad rescale each coordinate separately, leave the row space, and end on another point of the solution set.
// Run on the 2-D example x1 = [2, 1], t = 2 (solutions: the line 2 w1 + w2 = 2, minimum norm (0.8, 0.4)) and on
// random n < d problems.
//
// With a constant learning rate RMSProp only settles on a point when epsilon is large enough that near the solution
// its step lr g / (sqrt(v) + eps) ~ (lr / eps) g is a stable gradient step, lr / eps < 2 / L; with eps = 1e-8 it
// ends in a limit cycle on the random problems (reported as "not converged"), hence the default eps = 0.01.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "tint/optim/descent.h"
#include "tint/optim/problem.h"

namespace tint::optim {

struct AdaptiveOptions {
  RegressionOptions problem;  // the random problems: n = 20, d = 100; problem i uses seed + i
  int64_t problems = 3;       // how many random problems
  std::map<Method, double> lr{
      {Method::GD, 0.01}, {Method::SGD, 0.01}, {Method::RMSProp, 0.001}, {Method::Adam, 0.01}, {Method::Adagrad, 0.1}};
  double beta = 0.9;      // RMSProp
  double beta1 = 0.9;     // Adam
  double beta2 = 0.999;   // Adam
  double epsilon = 0.01;  // RMSProp, Adam, Adagrad
  int64_t batch = 5;      // SGD (capped at n, so SGD is GD on the 2-D example's single row)
  double tol = 1e-10;     // converged once ||Xw - t|| < tol
  int64_t max_steps = 100000;
  std::filesystem::path out_dir;  // empty: compute only
};

struct SolverOutcome {
  std::string problem;  // "2-D" or "random 1", "random 2", ...
  Method method = Method::GD;
  DescentResult descent;
  double norm = 0.0;      // ||w||
  double distance = 0.0;  // ||w - w*||, w* the minimum-norm solution
  double off_span = 0.0;  // ||w - Pw||: how far the solution left the row space of X
};

struct AdaptiveResult {
  torch::Tensor two_d_min_norm;         // (2) = (0.8, 0.4)
  std::vector<SolverOutcome> two_d;     // one per method, in all_methods() order
  std::vector<double> random_min_norm;  // ||w*|| of each random problem
  std::vector<SolverOutcome> random;    // problems x methods
  std::string summary;
  std::vector<std::filesystem::path> files;
};

// Throws tint::Error naming the flag of a bad setting, or the method's learning-rate flag when it diverges.
AdaptiveResult run_adaptive(const AdaptiveOptions& options);

// The CLI's learning-rate flag of a method: "--lr-gd", "--lr-sgd", "--lr-rmsprop", "--lr-adam", "--lr-adagrad".
std::string lr_flag(Method method);

}  // namespace tint::optim
