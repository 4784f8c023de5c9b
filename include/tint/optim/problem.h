// Seeded linear-regression problems in double precision, and the quantities the optimization lab measures on them:
// the loss (1/n)||Xw - t||^2 of section 1 of the source, its gradient, the minimum-norm solution and the part of a
// weight vector that lies outside the row space of X. Every experiment in tint::optim builds on these.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace tint::optim {

// What make_regression draws. A teacher w_true ~ N(0, I/d) makes the targets t = X w_true + noise * N(0, 1)
// predictable, so a validation set drawn from the same teacher measures generalization (the hypergrad experiment).
struct RegressionOptions {
  int64_t n = 20;            // training examples (rows of X)
  int64_t d = 100;           // features
  int64_t n_validation = 0;  // validation examples, from the same teacher; 0 = none
  double noise = 0.5;        // standard deviation of the target noise
  uint64_t seed = 0;
};

struct Regression {
  torch::Tensor X;       // (n, d) float64, entries N(0, 1)
  torch::Tensor t;       // (n) float64
  torch::Tensor X_val;   // (n_validation, d), undefined when n_validation = 0
  torch::Tensor t_val;   // (n_validation)
  torch::Tensor w_true;  // (d) the teacher
  int64_t n() const { return X.size(0); }
  int64_t d() const { return X.size(1); }
};

// Draws a problem; the same options give the same tensors on every run. Throws tint::Error naming --n / --d when a
// size is not positive.
Regression make_regression(const RegressionOptions& options);

// The problem of question 1.2.1: one example x1 = [2, 1] with target 2, so X = [[2, 1]] (1, 2) and t = [2] (1).
Regression two_d_example();

// (1/n)||Xw - t||^2 for X (n, d), w (d), t (n).
double mse(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t);

// Its gradient (2/n) X^T (Xw - t), shape (d). With X a mini-batch of b rows this is equation (2)'s average of the
// per-example gradients.
torch::Tensor mse_gradient(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t);

// ||Xw - t||, the residual norm the experiments use as their stopping test.
double residual_norm(const torch::Tensor& X, const torch::Tensor& w, const torch::Tensor& t);

// The largest eigenvalue of the loss's Hessian (2/n) X^T X: gradient descent is stable for lr < 2 / this.
double smoothness(const torch::Tensor& X);

// The row space of a full-row-rank X (n <= d), held as an orthonormal basis Q (d, n) from a QR factorization of X^T.
class RowSpace {
 public:
  // Throws tint::Error when n > d or X is (numerically) rank deficient: then no unique minimum-norm solution of
  // Xw = t exists.
  explicit RowSpace(const torch::Tensor& X);
  // Q Q^T w, shape (d).
  torch::Tensor project(const torch::Tensor& w) const;
  // ||w - Q Q^T w||: the component of w that no gradient of the loss can create or remove.
  double off_span_norm(const torch::Tensor& w) const;
  const torch::Tensor& basis() const { return Q_; }

 private:
  torch::Tensor Q_;  // (d, n), orthonormal columns
};

// w* = X^T (X X^T)^-1 t, shape (d): the solution of Xw = t with the smallest norm. Needs X of full row rank
// (throws tint::Error otherwise).
torch::Tensor min_norm_solution(const torch::Tensor& X, const torch::Tensor& t);

}  // namespace tint::optim
