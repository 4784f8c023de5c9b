// `tint optim min-norm`: SGD and GD from zero find the minimum-norm solution (see min_norm.h).
#include "tint/optim/min_norm.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include "lab_output.h"
#include "tint/core/error.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::optim {
namespace {

MinNormRun run_one(const std::string& name, const Regression& p, const RowSpace& span, const torch::Tensor& w_star,
                   const torch::Tensor& w0, const DescentOptions& descent_options) {
  MinNormRun run;
  run.name = name;
  run.descent = descend(p.X, p.t, w0, descent_options, [&](int64_t step, const torch::Tensor& w) {
    MinNormStep s;
    s.step = step;
    s.loss = mse(p.X, w, p.t);
    s.residual = residual_norm(p.X, w, p.t);
    s.distance = (w - w_star).norm().item<double>();
    s.off_span = span.off_span_norm(w);
    s.norm = w.norm().item<double>();
    run.max_off_span = std::max(run.max_off_span, s.off_span);
    run.history.push_back(s);
  });
  if (run.descent.diverged) {
    throw Error(fmt::format("{} diverged at step {} (residual became {}): lower --lr (now {})", name, run.descent.steps,
                            run.descent.residual, descent_options.rule.lr));
  }
  return run;
}

std::string describe(const MinNormRun& r) {
  const auto& last = r.history.back();
  return fmt::format("{:<17} {:>6} steps{}  residual {:.3e}  ||w - w*|| {:.3e}  ||w|| {:.10f}  max off-span {:.3e}\n",
                     r.name + ":", r.descent.steps, r.descent.converged ? "" : " (not converged)", last.residual,
                     last.distance, last.norm, r.max_off_span);
}

void save_history(const MinNormRun& r, const std::filesystem::path& csv) {
  report::Table table({"step", "loss", "residual", "distance", "off_span", "norm", "distance_plot", "off_span_plot"});
  for (const auto& s : r.history) {
    table.add_row({static_cast<double>(s.step), s.loss, s.residual, s.distance, s.off_span, s.norm,
                   detail::log_floor(s.distance), detail::log_floor(s.off_span)});
  }
  table.save(csv);
}

}  // namespace

MinNormResult run_min_norm(const MinNormOptions& o) {
  if (o.problem.n >= o.problem.d) {
    throw Error(fmt::format("min-norm needs an over-parameterized problem, n < d; got --n {} and --d {}", o.problem.n,
                            o.problem.d));
  }
  if (o.batch < 1 || o.batch > o.problem.n) {
    throw Error(fmt::format("--batch-size must be between 1 and --n ({}), got {}", o.problem.n, o.batch));
  }
  if (!(o.tol > 0.0)) throw Error(fmt::format("--tol must be positive, got {}", o.tol));
  if (o.max_steps < 1) throw Error(fmt::format("--steps must be at least 1, got {}", o.max_steps));
  if (!(o.init_scale >= 0.0)) throw Error(fmt::format("--init-scale must be non-negative, got {}", o.init_scale));
  RuleOptions rule;
  rule.lr = o.lr;
  validate(rule);

  const auto p = make_regression(o.problem);
  const RowSpace span(p.X);
  MinNormResult result;
  result.w_star = min_norm_solution(p.X, p.t);  // (d)
  result.w_star_norm = result.w_star.norm().item<double>();

  DescentOptions d;
  d.rule = rule;
  d.tol = o.tol;
  d.max_steps = o.max_steps;
  d.batch = o.batch;
  d.seed = o.problem.seed + 1;  // batch order: its own stream, fixed by --seed
  const auto zero = torch::zeros({p.d()}, torch::kFloat64);
  d.method = Method::GD;
  result.gd = run_one("GD", p, span, result.w_star, zero, d);
  d.method = Method::SGD;
  result.sgd = run_one(fmt::format("SGD (b = {})", o.batch), p, span, result.w_star, zero, d);
  double w0_off_span = 0.0;
  if (o.init_scale > 0.0) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.problem.seed + 2);
    auto w0 = o.init_scale * torch::randn({p.d()}, gen, torch::kFloat64);  // (d)
    w0_off_span = span.off_span_norm(w0);
    result.contrast.push_back(run_one("SGD from w0 != 0", p, span, result.w_star, w0, d));
  }

  std::string& s = result.summary;
  s += fmt::format("min-norm: n = {}, d = {}, seed {}, lr {}, SGD batch {}, tol {:g} on ||Xw - t||\n", o.problem.n,
                   o.problem.d, o.problem.seed, o.lr, o.batch, o.tol);
  s += fmt::format("||w*|| = {:.10f}  (w* = X^T (X X^T)^-1 t)\n", result.w_star_norm);
  s += describe(result.gd);
  s += describe(result.sgd);
  for (const auto& c : result.contrast) {
    s += describe(c);
    s += fmt::format(
        "  from w0 ~ N(0, {}^2 I): the off-span part of w0 ({:.10f}) never changes, so SGD ends "
        "{:.10f} from w*\n",
        o.init_scale, w0_off_span, c.history.back().distance);
  }

  if (o.out_dir.empty()) return result;
  detail::prepare_out_dir(o.out_dir);
  std::vector<std::pair<const MinNormRun*, std::string>> runs{{&result.gd, "gd.csv"}, {&result.sgd, "sgd.csv"}};
  if (!result.contrast.empty()) runs.push_back({&result.contrast.front(), "sgd_from_random.csv"});
  report::LinePlot distance{"Distance to the minimum-norm solution w*", "step", "||w - w*||"};
  distance.log_y = true;
  report::LinePlot off_span{"Component outside the row space of X", "step", "||w - Pw|| (floored at 1e-20)"};
  off_span.log_y = true;
  off_span.extra.push_back(detail::horizontal_line(1e-10, "1e-10"));
  for (const auto& [run, csv] : runs) {
    save_history(*run, o.out_dir / csv);
    result.files.push_back(o.out_dir / csv);
    distance.series.push_back({csv, "step", "distance_plot", run->name});
    off_span.series.push_back({csv, "step", "off_span_plot", run->name});
  }
  report::plot_lines(o.out_dir / "distance.png", distance);
  report::plot_lines(o.out_dir / "off_span.png", off_span);
  detail::write_summary(o.out_dir, s);
  for (const char* f : {"distance.png", "off_span.png", "summary.txt"}) result.files.push_back(o.out_dir / f);
  return result;
}

}  // namespace tint::optim
