// `tint optim weight-decay`: L2 in the gradient against decoupled weight decay (see weight_decay.h).
#include "tint/optim/weight_decay.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "lab_output.h"
#include "tint/core/error.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::optim {
namespace {

// The minimizer of (1/n)||Xw - t||^2 + lambda ||w||^2: ((2/n) X^T X + 2 lambda I) w = (2/n) X^T t, shape (d).
torch::Tensor ridge_solution(const Regression& p, double lambda) {
  const double scale = 2.0 / static_cast<double>(p.n());
  auto A = torch::mm(p.X.t(), p.X) * scale + 2.0 * lambda * torch::eye(p.d(), torch::kFloat64);  // (d, d)
  auto b = torch::mv(p.X.t(), p.t) * scale;                                                      // (d)
  return torch::linalg::solve(A, b.unsqueeze(1), /*left=*/true).squeeze(1);
}

DecayComparison compare(const std::string& name, Method method, double lambda_l2, const Regression& p,
                        const WeightDecayOptions& o) {
  RuleOptions rule;
  rule.lr = o.lr;
  rule.beta = o.beta;
  rule.beta1 = o.beta1;
  rule.beta2 = o.beta2;
  rule.epsilon = o.epsilon;
  RuleOptions decoupled = rule;
  decoupled.decay = o.decay;
  UpdateRule l2_rule(method, rule), decay_rule(method, decoupled);

  DecayComparison c;
  c.name = name;
  c.method = method;
  c.lambda_l2 = lambda_l2;
  c.w_l2 = torch::zeros({p.d()}, torch::kFloat64);  // (d)
  c.w_decay = c.w_l2.clone();
  c.distance.push_back(0.0);
  for (int64_t k = 0; k < o.steps; ++k) {
    l2_rule.step(c.w_l2, mse_gradient(p.X, c.w_l2, p.t) + 2.0 * lambda_l2 * c.w_l2);
    decay_rule.step(c.w_decay, mse_gradient(p.X, c.w_decay, p.t));
    c.distance.push_back((c.w_l2 - c.w_decay).norm().item<double>());
  }
  if (!std::isfinite(c.distance.back()) || !std::isfinite(c.w_l2.norm().item<double>())) {
    throw Error(fmt::format("{} diverged: lower --lr (now {})", name, o.lr));
  }
  c.max_distance = *std::max_element(c.distance.begin(), c.distance.end());
  c.final_distance = c.distance.back();
  c.loss_l2 = mse(p.X, c.w_l2, p.t);
  c.loss_decay = mse(p.X, c.w_decay, p.t);
  const auto ridge = ridge_solution(p, lambda_l2);
  c.l2_to_ridge = (c.w_l2 - ridge).norm().item<double>();
  c.decay_to_ridge = (c.w_decay - ridge).norm().item<double>();
  return c;
}

}  // namespace

WeightDecayResult run_weight_decay(const WeightDecayOptions& o) {
  RuleOptions check;
  check.lr = o.lr;
  check.beta = o.beta;
  check.beta1 = o.beta1;
  check.beta2 = o.beta2;
  check.epsilon = o.epsilon;
  validate(check);
  // Named --lambda here, as on the command line (validate() would call it --decay).
  if (!(o.decay >= 0.0 && o.decay < 1.0)) throw Error(fmt::format("--lambda must be in [0, 1), got {}", o.decay));
  if (o.steps < 1) throw Error(fmt::format("--steps must be at least 1, got {}", o.steps));
  const auto p = make_regression(o.problem);
  const double matched = o.decay / (2.0 * o.lr);  // lambda~ = lambda / (2 eta)

  WeightDecayResult r;
  r.comparisons.push_back(compare("GD", Method::GD, matched, p, o));
  r.comparisons.push_back(compare("RMSProp", Method::RMSProp, matched, p, o));
  r.comparisons.push_back(compare("Adam", Method::Adam, matched, p, o));
  r.comparisons.push_back(compare("GD, lambda~ = lambda", Method::GD, o.decay, p, o));

  std::string& s = r.summary;
  s += fmt::format(
      "weight-decay: n = {}, d = {}, seed {}; eta {}, decay lambda {} per step, {} steps; RMSProp beta {}; "
      "Adam beta1 {} beta2 {}; epsilon {}\n",
      o.problem.n, o.problem.d, o.problem.seed, o.lr, o.decay, o.steps, o.beta, o.beta1, o.beta2, o.epsilon);
  s += fmt::format("L2 run: lambda~ = lambda / (2 eta) = {:.10g} (the last row uses lambda~ = lambda instead)\n",
                   matched);
  for (const auto& c : r.comparisons) {
    s += fmt::format(
        "  {:<22} max ||w_L2 - w_decay|| {:.3e}  final {:.3e}   ||w_L2|| {:.6f}  ||w_decay|| {:.6f}  "
        "from the ridge solution: L2 {:.3e}, decay {:.3e}\n",
        c.name + ":", c.max_distance, c.final_distance, c.w_l2.norm().item<double>(), c.w_decay.norm().item<double>(),
        c.l2_to_ridge, c.decay_to_ridge);
  }

  if (o.out_dir.empty()) return r;
  detail::prepare_out_dir(o.out_dir);
  report::Table table(
      {"step", "gd", "rmsprop", "adam", "gd_unscaled", "gd_plot", "rmsprop_plot", "adam_plot", "gd_unscaled_plot"});
  for (int64_t k = 0; k <= o.steps; ++k) {
    std::vector<double> row{static_cast<double>(k)};
    for (const auto& c : r.comparisons) row.push_back(c.distance[k]);
    for (const auto& c : r.comparisons) row.push_back(detail::log_floor(c.distance[k]));
    table.add_row(row);
  }
  table.save(o.out_dir / "distance.csv");
  report::LinePlot plot{"L2 regularization with lambda~ = lambda/(2 eta) against weight decay lambda", "step",
                        "||w(L2) - w(decay)|| (floored at 1e-20)"};
  plot.log_y = true;
  plot.series = {{"distance.csv", "step", "gd_plot", "GD"},
                 {"distance.csv", "step", "rmsprop_plot", "RMSProp"},
                 {"distance.csv", "step", "adam_plot", "Adam (L2) vs AdamW (decoupled)"},
                 {"distance.csv", "step", "gd_unscaled_plot", "GD with lambda~ = lambda", false, "lines dt 2"}};
  report::plot_lines(o.out_dir / "distance.png", plot);
  detail::write_summary(o.out_dir, s);
  for (const char* f : {"distance.csv", "distance.png", "summary.txt"}) r.files.push_back(o.out_dir / f);
  return r;
}

}  // namespace tint::optim
