// Reverse-mode, forward-mode and finite-difference hypergradients of unrolled gradient descent (see hypergradient.h).
#include "tint/optim/hypergradient.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

namespace tint::optim {
namespace {

void check(const Unrolled& u) {
  TORCH_CHECK(
      u.X.dim() == 2 && u.t.dim() == 1 && u.w0.dim() == 1 && u.X.size(0) == u.t.size(0) && u.X.size(1) == u.w0.size(0),
      "Unrolled: expected X (n, d), t (n), w0 (d), got ", u.X.sizes(), ", ", u.t.sizes(), ", ", u.w0.sizes());
  TORCH_CHECK(!u.X_eval.defined() || (u.X_eval.dim() == 2 && u.X_eval.size(1) == u.X.size(1) && u.t_eval.defined() &&
                                      u.t_eval.size(0) == u.X_eval.size(0)),
              "Unrolled: the validation set must be X_eval (m, d) with t_eval (m)");
  TORCH_CHECK(u.steps >= 0, "Unrolled: steps must be non-negative, got ", u.steps);
}

bool validation(const Unrolled& u) { return u.X_eval.defined(); }

// L~(w) as a tensor expression, so that autograd can differentiate it (lambda may be a tensor requiring grad).
torch::Tensor regularized_loss(const torch::Tensor& X, const torch::Tensor& t, const torch::Tensor& w,
                               const torch::Tensor& lambda) {
  return (torch::mv(X, w) - t).pow(2).mean() + lambda * torch::dot(w, w);  // ()
}

torch::Tensor objective(const Unrolled& u, const torch::Tensor& w, const torch::Tensor& lambda) {
  if (validation(u)) return (torch::mv(u.X_eval, w) - u.t_eval).pow(2).mean();
  return regularized_loss(u.X, u.t, w, lambda);
}

// grad L~(w) = (2/n) X^T (Xw - t) + 2 lambda w, shape (d).
torch::Tensor regularized_gradient(const Unrolled& u, const torch::Tensor& w, double lambda) {
  const double scale = 2.0 / static_cast<double>(u.X.size(0));
  return torch::mv(u.X.t(), torch::mv(u.X, w) - u.t) * scale + 2.0 * lambda * w;
}

// H v = (2/n) X^T X v + 2 lambda v, shape (d), without forming the (d, d) Hessian.
torch::Tensor hessian_vector(const Unrolled& u, const torch::Tensor& v, double lambda) {
  const double scale = 2.0 / static_cast<double>(u.X.size(0));
  return torch::mv(u.X.t(), torch::mv(u.X, v)) * scale + 2.0 * lambda * v;
}

torch::Tensor run_gd(const Unrolled& u, double eta, double lambda) {
  auto w = u.w0.clone();  // (d)
  for (int64_t k = 0; k < u.steps; ++k) w = w - eta * regularized_gradient(u, w, lambda);
  return w;
}

}  // namespace

double unrolled_loss(const Unrolled& u, double eta, double lambda) {
  check(u);
  torch::NoGradGuard no_grad;
  auto w = run_gd(u, eta, lambda);
  return objective(u, w, torch::tensor(lambda, torch::kFloat64)).item<double>();
}

Hypergradient reverse_hypergradient(const Unrolled& u, double eta, double lambda) {
  check(u);
  auto eta_t = torch::tensor(eta, torch::kFloat64).requires_grad_(true);        // () leaf
  auto lambda_t = torch::tensor(lambda, torch::kFloat64).requires_grad_(true);  // () leaf
  // w0 is a leaf that requires grad only so that autograd can take d L~ / d w at the first step.
  auto w = u.w0.clone().requires_grad_(true);  // (d)
  for (int64_t k = 0; k < u.steps; ++k) {
    auto loss = regularized_loss(u.X, u.t, w, lambda_t);
    // create_graph: the gradient becomes part of the graph, so the final backward reaches eta and lambda through it.
    auto g = torch::autograd::grad({loss}, {w}, {}, /*retain_graph=*/true, /*create_graph=*/true)[0];  // (d)
    w = w - eta_t * g;
  }
  auto final_loss = objective(u, w, lambda_t);
  auto grads = torch::autograd::grad({final_loss}, {eta_t, lambda_t}, {}, /*retain_graph=*/false,
                                     /*create_graph=*/false, /*allow_unused=*/true);
  Hypergradient h;
  h.loss = final_loss.item<double>();
  h.d_eta = grads[0].defined() ? grads[0].item<double>() : 0.0;
  h.d_lambda = grads[1].defined() ? grads[1].item<double>() : 0.0;
  return h;
}

Hypergradient forward_hypergradient(const Unrolled& u, double eta, double lambda) {
  check(u);
  torch::NoGradGuard no_grad;
  auto w = u.w0.clone();              // (d)
  auto u_eta = torch::zeros_like(w);  // (d) dw/deta: w0 does not depend on eta
  auto s_lam = torch::zeros_like(w);  // (d) dw/dlambda
  for (int64_t k = 0; k < u.steps; ++k) {
    auto g = regularized_gradient(u, w, lambda);  // (d)
    // Differentiate w_{k+1} = w_k - eta g(w_k, lambda), with dg = H dw + 2 w dlambda:
    auto next_u = u_eta - g - eta * hessian_vector(u, u_eta, lambda);
    auto next_s = s_lam - eta * (hessian_vector(u, s_lam, lambda) + 2.0 * w);
    w = w - eta * g;
    u_eta = next_u;
    s_lam = next_s;
  }
  // Chain rule at the end: dObjective = grad_w Objective . dw (+ ||w||^2 dlambda for the regularized loss).
  torch::Tensor grad_w;  // (d)
  double direct_lambda = 0.0;
  Hypergradient h;
  if (validation(u)) {
    auto r = torch::mv(u.X_eval, w) - u.t_eval;  // (m)
    grad_w = torch::mv(u.X_eval.t(), r) * (2.0 / static_cast<double>(u.X_eval.size(0)));
    h.loss = r.pow(2).mean().item<double>();
  } else {
    grad_w = regularized_gradient(u, w, lambda);
    direct_lambda = torch::dot(w, w).item<double>();
    h.loss = regularized_loss(u.X, u.t, w, torch::tensor(lambda, torch::kFloat64)).item<double>();
  }
  h.d_eta = torch::dot(grad_w, u_eta).item<double>();
  h.d_lambda = torch::dot(grad_w, s_lam).item<double>() + direct_lambda;
  return h;
}

Hypergradient finite_difference_hypergradient(const Unrolled& u, double eta, double lambda, double rel_step) {
  const double h_eta = rel_step * std::max(std::abs(eta), 1e-6);
  const double h_lambda = rel_step * std::max(std::abs(lambda), 1.0);
  Hypergradient h;
  h.loss = unrolled_loss(u, eta, lambda);
  h.d_eta = (unrolled_loss(u, eta + h_eta, lambda) - unrolled_loss(u, eta - h_eta, lambda)) / (2.0 * h_eta);
  h.d_lambda = (unrolled_loss(u, eta, lambda + h_lambda) - unrolled_loss(u, eta, lambda - h_lambda)) / (2.0 * h_lambda);
  return h;
}

double relative_error(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), std::numeric_limits<double>::min());
}

}  // namespace tint::optim
