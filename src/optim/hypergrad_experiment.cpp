// `tint optim hypergrad`: hypergradient checks, their memory, the one-step optimum and the hyper loop (see
// hypergrad.h).
#include "tint/optim/hypergrad_experiment.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "lab_output.h"
#include "tint/core/error.h"
#include "tint/optim/memory_probe.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::optim {
namespace {

void validate_options(const HypergradOptions& o) {
  if (!(o.eta > 0.0)) throw Error(fmt::format("--eta must be positive, got {}", o.eta));
  if (!(o.lambda >= 0.0)) throw Error(fmt::format("--lambda must be non-negative, got {}", o.lambda));
  if (o.steps.empty()) throw Error("--t needs at least one number of steps");
  for (int64_t t : o.steps) {
    if (t < 1) throw Error(fmt::format("--t values must be at least 1, got {}", t));
  }
  if (!(o.fd_step > 0.0 && o.fd_step < 0.1))
    throw Error(fmt::format("--fd-step must be in (0, 0.1), got {}", o.fd_step));
  if (o.loop_steps < 1) throw Error(fmt::format("--loop-t must be at least 1, got {}", o.loop_steps));
  if (o.problem.n_validation < 1)
    throw Error(fmt::format("--n-validation must be at least 1, got {}", o.problem.n_validation));
}

HypergradCheck check_at(const Unrolled& u, const HypergradOptions& o) {
  HypergradCheck c;
  c.steps = u.steps;
  c.peak_bytes_reverse = peak_tensor_bytes([&] { c.reverse = reverse_hypergradient(u, o.eta, o.lambda); });
  c.peak_bytes_forward = peak_tensor_bytes([&] { c.forward = forward_hypergradient(u, o.eta, o.lambda); });
  c.finite_difference = finite_difference_hypergradient(u, o.eta, o.lambda, o.fd_step);
  c.eta_error_reverse = relative_error(c.reverse.d_eta, c.finite_difference.d_eta);
  c.eta_error_forward = relative_error(c.forward.d_eta, c.finite_difference.d_eta);
  c.lambda_error_reverse = relative_error(c.reverse.d_lambda, c.finite_difference.d_lambda);
  c.lambda_error_forward = relative_error(c.forward.d_lambda, c.finite_difference.d_lambda);
  return c;
}

// Least-squares slope of y against x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxx > 0 ? sxy / sxx : 0.0;
}

void write_outputs(const HypergradOptions& o, HypergradResult& r) {
  namespace rp = report;
  const auto& dir = o.out_dir;
  detail::prepare_out_dir(dir);
  using detail::log_floor;

  rp::Table checks({"t",
                    "loss",
                    "d_eta_reverse",
                    "d_eta_forward",
                    "d_eta_fd",
                    "d_lambda_reverse",
                    "d_lambda_forward",
                    "d_lambda_fd",
                    "eta_error_reverse",
                    "eta_error_forward",
                    "lambda_error_reverse",
                    "lambda_error_forward",
                    "peak_bytes_reverse",
                    "peak_bytes_forward",
                    "peak_kib_reverse",
                    "peak_kib_forward",
                    "eta_error_reverse_plot",
                    "eta_error_forward_plot",
                    "lambda_error_reverse_plot",
                    "lambda_error_forward_plot"});
  for (const auto& c : r.checks) {
    checks.add_row({static_cast<double>(c.steps),
                    c.reverse.loss,
                    c.reverse.d_eta,
                    c.forward.d_eta,
                    c.finite_difference.d_eta,
                    c.reverse.d_lambda,
                    c.forward.d_lambda,
                    c.finite_difference.d_lambda,
                    c.eta_error_reverse,
                    c.eta_error_forward,
                    c.lambda_error_reverse,
                    c.lambda_error_forward,
                    static_cast<double>(c.peak_bytes_reverse),
                    static_cast<double>(c.peak_bytes_forward),
                    c.peak_bytes_reverse / 1024.0,
                    c.peak_bytes_forward / 1024.0,
                    log_floor(c.eta_error_reverse),
                    log_floor(c.eta_error_forward),
                    log_floor(c.lambda_error_reverse),
                    log_floor(c.lambda_error_forward)});
  }
  checks.save(dir / "hypergradients.csv");

  rp::LinePlot memory{"Peak tensor memory of one hypergradient against the number of GD steps t", "t (GD steps)",
                      "peak tensor storage (KiB)"};
  memory.series = {{"hypergradients.csv", "t", "peak_kib_reverse", "reverse mode (autograd, create_graph)", false,
                    "linespoints pt 7"},
                   {"hypergradients.csv", "t", "peak_kib_forward", "forward mode (dw/deta, dw/dlambda carried)", false,
                    "linespoints pt 5"}};
  rp::plot_lines(dir / "memory.png", memory);

  rp::LinePlot errors{"Hypergradients against central finite differences", "t (GD steps)",
                      "relative error (floored at 1e-20)"};
  errors.log_y = true;
  errors.extra.push_back(detail::horizontal_line(1e-6, "1e-6"));
  errors.series = {
      {"hypergradients.csv", "t", "eta_error_reverse_plot", "d/deta reverse", false, "linespoints pt 7"},
      {"hypergradients.csv", "t", "eta_error_forward_plot", "d/deta forward", false, "linespoints pt 6"},
      {"hypergradients.csv", "t", "lambda_error_reverse_plot", "d/dlambda reverse", false, "linespoints pt 5"},
      {"hypergradients.csv", "t", "lambda_error_forward_plot", "d/dlambda forward", false, "linespoints pt 4"}};
  rp::plot_lines(dir / "hypergradient_errors.png", errors);

  rp::Table curve({"eta", "loss", "hypergradient"});
  for (const auto& p : r.one_step.curve) curve.add_row({p.eta, p.loss, p.hypergradient});
  curve.save(dir / "one_step.csv");
  rp::LinePlot one{"One GD step: loss L1(eta) and its hypergradient", "eta", "L1(eta)", "dL1/deta"};
  one.extra = {
      fmt::format("set arrow from first {0:.17g}, graph 0 to first {0:.17g}, graph 1 nohead dt 2 lc rgb "
                  "'gray40'\nset label 'eta* = {0:.6g}' at first {0:.17g}, graph 0.95 offset 1, 0",
                  r.one_step.eta_closed_form)};
  one.series = {{"one_step.csv", "eta", "loss", "L1(eta)"},
                {"one_step.csv", "eta", "hypergradient", "dL1/deta (reverse mode)", true}};
  rp::plot_lines(dir / "one_step.png", one);

  rp::Table loop({"iteration", "eta", "validation_loss", "training_loss", "d_log_eta", "capped"});
  for (const auto& s : r.loop) {
    loop.add_row({static_cast<double>(s.iteration), s.eta, s.validation_loss, s.training_loss, s.d_log_eta,
                  s.capped ? 1.0 : 0.0});
  }
  loop.save(dir / "hyper_loop.csv");
  rp::LinePlot hl{"Gradient descent on log(eta) with the validation hypergradient", "hyper-iteration", "eta",
                  "loss after t steps"};
  hl.log_y = true;
  hl.series = {{"hyper_loop.csv", "iteration", "eta", "eta (left, log scale)", false, "linespoints pt 7"},
               {"hyper_loop.csv", "iteration", "validation_loss", "validation loss (right)", true},
               {"hyper_loop.csv", "iteration", "training_loss", "training loss (right)", true, "lines dt 2"}};
  rp::plot_lines(dir / "hyper_loop.png", hl);

  detail::write_summary(dir, r.summary);
  for (const char* f : {"hypergradients.csv", "memory.png", "hypergradient_errors.png", "one_step.csv", "one_step.png",
                        "hyper_loop.csv", "hyper_loop.png", "summary.txt"}) {
    r.files.push_back(dir / f);
  }
}

}  // namespace

HypergradResult run_hypergrad(const HypergradOptions& o) {
  validate_options(o);
  const auto p = make_regression(o.problem);
  // GD on L~ diverges for eta >= 2 / (L + 2 lambda), where every hypergradient (and its check) is meaningless.
  const double stable = 2.0 / (smoothness(p.X) + 2.0 * o.lambda);
  if (!(o.eta < stable)) {
    throw Error(fmt::format("--eta {} is too large: GD on this problem diverges for eta >= 2 / (L + 2 lambda) = {:.6g}",
                            o.eta, stable));
  }
  const auto w0 = torch::zeros({p.d()}, torch::kFloat64);  // (d)
  HypergradResult r;
  std::string& s = r.summary;
  s += fmt::format("hypergrad: n = {}, d = {}, validation {}, noise {}, seed {}; eta {}, lambda {}\n", o.problem.n,
                   o.problem.d, o.problem.n_validation, o.problem.noise, o.problem.seed, o.eta, o.lambda);
  s += fmt::format("GD on (1/n)||Xw - t||^2 + lambda ||w||^2 from w0 = 0; L_t = that loss after t steps\n");

  auto steps = o.steps;
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  std::vector<double> ts, peaks;
  int64_t forward_min = 0, forward_max = 0;
  s += "     t          L_t    dL_t/deta (reverse)  rel.err rev  rel.err fwd   dL_t/dlambda (reverse)  rel.err rev"
       "  rel.err fwd   peak bytes rev  fwd\n";
  for (int64_t t : steps) {
    Unrolled u{p.X, p.t, w0, t};
    auto c = check_at(u, o);
    r.max_relative_error = std::max({r.max_relative_error, c.eta_error_reverse, c.eta_error_forward,
                                     c.lambda_error_reverse, c.lambda_error_forward});
    ts.push_back(static_cast<double>(t));
    peaks.push_back(static_cast<double>(c.peak_bytes_reverse));
    forward_min = r.checks.empty() ? c.peak_bytes_forward : std::min(forward_min, c.peak_bytes_forward);
    forward_max = std::max(forward_max, c.peak_bytes_forward);
    s += fmt::format("{:>6} {:>12.6g} {:>20.12g} {:>12.2e} {:>12.2e} {:>24.12g} {:>12.2e} {:>12.2e} {:>16} {:>4}\n", t,
                     c.reverse.loss, c.reverse.d_eta, c.eta_error_reverse, c.eta_error_forward, c.reverse.d_lambda,
                     c.lambda_error_reverse, c.lambda_error_forward, c.peak_bytes_reverse, c.peak_bytes_forward);
    r.checks.push_back(c);
  }
  r.reverse_bytes_per_step = slope(ts, peaks);
  r.forward_peak_spread = forward_max - forward_min;
  s += fmt::format("largest relative error against central differences (step {:g}): {:.2e}\n", o.fd_step,
                   r.max_relative_error);
  s += fmt::format(
      "peak tensor memory (storage allocated during the call): reverse grows {:.0f} bytes per step, "
      "forward stays within {} bytes of {} over t = {}..{}\n",
      r.reverse_bytes_per_step, r.forward_peak_spread, forward_max, steps.front(), steps.back());

  r.one_step = one_step_optimum(p.X, p.t, w0, o.grid_points);
  const auto& os = r.one_step;
  s += fmt::format("one step, lambda = 0: eta* = n ||X^T a||^2 / (2 ||X X^T a||^2) = {:.15g}\n", os.eta_closed_form);
  s += fmt::format(
      "  grid search over [0, {:.6g}] ({} points): best {:.15g}; parabola through it and its neighbours "
      "{:.15g} (|diff| {:.2e})\n",
      os.bracket, o.grid_points, os.eta_grid, os.eta_parabola, std::abs(os.eta_parabola - os.eta_closed_form));
  s += fmt::format(
      "  zero of dL1/deta by bisection: {:.15g} (|diff| {:.2e}); dL1/deta at eta* = {:.3e} "
      "(at eta = 0: {:.6g})\n",
      os.eta_zero, std::abs(os.eta_zero - os.eta_closed_form), os.hypergradient_at_closed_form,
      os.hypergradient_at_zero_eta);
  s += fmt::format("  L1(0) = {:.10g}, L1(eta*) = {:.10g}\n", os.loss_at_zero_eta, os.loss_at_closed_form);

  HyperLoopOptions loop = o.loop;
  loop.lambda = o.lambda;
  r.loop = optimize_learning_rate(Unrolled{p.X, p.t, w0, o.loop_steps, p.X_val, p.t_val}, loop);
  const auto& first = r.loop.front();
  const auto& last = r.loop.back();
  const auto capped = std::count_if(r.loop.begin(), r.loop.end() - 1, [](const auto& x) { return x.capped; });
  s += fmt::format("hyper loop: {} steps of GD on log(eta) (rate {}), t = {} inner steps, validation set of {}\n",
                   loop.hyper_steps, loop.hyper_lr, o.loop_steps, o.problem.n_validation);
  s += fmt::format(
      "  eta {:.6g} -> {:.6g}; validation loss {:.6g} -> {:.6g}; training loss {:.6g} -> {:.6g}; "
      "final dL_val/dlog(eta) {:.2e}{}\n",
      first.eta, last.eta, first.validation_loss, last.validation_loss, first.training_loss, last.training_loss,
      last.d_log_eta, capped ? fmt::format(" ({} steps capped at |dlog eta| = {})", capped, loop.max_log_step) : "");

  if (!o.out_dir.empty()) write_outputs(o, r);
  return r;
}

}  // namespace tint::optim
