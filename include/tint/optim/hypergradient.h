// Hypergradients (section 2): t steps of gradient descent on the L2-regularized loss
//   L~(w) = (1/n)||Xw - t||^2 + lambda ||w||^2,   w_{k+1} = w_k - eta grad L~(w_k),
// then the derivatives of an objective at w_t (the regularized training loss L~_t, or a validation loss) with
// respect to the learning rate eta and the weight lambda, three ways:
//   reverse   LibTorch autograd through the unrolled graph: each inner gradient is taken with create_graph = true so
//             that it is itself differentiable; the graph of all t steps is kept until the backward pass, O(t) memory;
//   forward   w carries its tangents u = dw/deta and s = dw/dlambda, updated with Hessian-vector products,
//             u <- u - grad L~(w) - eta H u,  s <- s - eta (H s + 2 w),  H = (2/n) X^T X + 2 lambda I,
//             so memory does not grow with t;
//   central finite differences of the objective, (L(x + h) - L(x - h)) / 2h, as the independent check.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace tint::optim {

struct Unrolled {
  torch::Tensor X;     // (n, d) training inputs: GD descends L~ on them
  torch::Tensor t;     // (n)
  torch::Tensor w0;    // (d) starting weights
  int64_t steps = 10;  // t, the number of GD steps
  // The objective at w_t: the regularized training loss L~ when these are undefined, else the plain
  // (1/m)||X_eval w - t_eval||^2 of a validation set, which does not depend on lambda directly.
  torch::Tensor X_eval;  // (m, d)
  torch::Tensor t_eval;  // (m)
};

struct Hypergradient {
  double loss = 0.0;      // the objective at w_t
  double d_eta = 0.0;     // d objective / d eta
  double d_lambda = 0.0;  // d objective / d lambda
};

// The objective after t steps, computed without autograd.
double unrolled_loss(const Unrolled& u, double eta, double lambda);

Hypergradient reverse_hypergradient(const Unrolled& u, double eta, double lambda);
Hypergradient forward_hypergradient(const Unrolled& u, double eta, double lambda);

// Central differences with steps h = rel_step * max(|eta|, 1e-6) and rel_step * max(|lambda|, 1): lambda is measured
// against 1, the scale of the loss it is added to, so that a zero or tiny lambda still gets a step large enough to
// rise above rounding.
Hypergradient finite_difference_hypergradient(const Unrolled& u, double eta, double lambda, double rel_step = 1e-5);

// |a - b| / max(|b|, tiny): the relative error of a against the reference b.
double relative_error(double a, double b);

}  // namespace tint::optim
