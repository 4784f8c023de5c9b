// `tint optim adaptive`: the solutions GD, SGD, RMSProp, Adam and Adagrad reach (see adaptive.h).
#include "tint/optim/adaptive.h"

#include <cctype>

#include <fmt/core.h>
#include <torch/torch.h>

#include "lab_output.h"
#include "tint/core/error.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::optim {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Recorded {
  SolverOutcome outcome;
  report::Table history{{"step", "w1", "w2", "residual", "distance", "off_span", "distance_plot"}};
};

// Runs `method` on p from zero; `keep_history` records every iterate (w1, w2 are the first two coordinates).
Recorded solve(const std::string& label, const Regression& p, Method method, const AdaptiveOptions& o,
               const torch::Tensor& w_star, const RowSpace& span, bool keep_history) {
  DescentOptions d;
  d.method = method;
  d.rule.lr = o.lr.at(method);
  d.rule.beta = o.beta;
  d.rule.beta1 = o.beta1;
  d.rule.beta2 = o.beta2;
  d.rule.epsilon = o.epsilon;
  d.batch = std::min(o.batch, p.n());
  d.tol = o.tol;
  d.max_steps = o.max_steps;
  d.seed = o.problem.seed + 1;
  Recorded r;
  auto observe = [&](int64_t step, const torch::Tensor& w) {
    auto w64 = w.contiguous();
    const double* x = w64.data_ptr<double>();
    const double distance = (w - w_star).norm().item<double>();
    r.history.add_row({static_cast<double>(step), x[0], x[1], residual_norm(p.X, w, p.t), distance,
                       span.off_span_norm(w), detail::log_floor(distance)});
  };
  r.outcome.problem = label;
  r.outcome.method = method;
  r.outcome.descent = descend(p.X, p.t, torch::zeros({p.d()}, torch::kFloat64), d,
                              keep_history ? StepObserver(observe) : StepObserver());
  if (r.outcome.descent.diverged) {
    throw Error(fmt::format("{} diverged on the {} problem at step {}: lower {} (now {})", method_name(method), label,
                            r.outcome.descent.steps, lr_flag(method), d.rule.lr));
  }
  const auto& w = r.outcome.descent.w;
  r.outcome.norm = w.norm().item<double>();
  r.outcome.distance = (w - w_star).norm().item<double>();
  r.outcome.off_span = span.off_span_norm(w);
  return r;
}

std::string describe(const SolverOutcome& s) {
  return fmt::format("  {:<8} {:>6} steps{:<16} residual {:.2e}  ||w|| {:.6f}  ||w - w*|| {:.3e}",
                     method_name(s.method), s.descent.steps, s.descent.converged ? "" : " (NOT converged)",
                     s.descent.residual, s.norm, s.distance);
}

void validate_options(const AdaptiveOptions& o) {
  if (o.problems < 0) throw Error(fmt::format("--problems must be at least 0, got {}", o.problems));
  if (o.problems > 0 && o.problem.n >= o.problem.d) {
    throw Error(fmt::format("the random problems must be over-parameterized, n < d; got --n {} and --d {}", o.problem.n,
                            o.problem.d));
  }
  if (o.batch < 1) throw Error(fmt::format("--batch-size must be at least 1, got {}", o.batch));
  if (!(o.tol > 0.0)) throw Error(fmt::format("--tol must be positive, got {}", o.tol));
  if (o.max_steps < 1) throw Error(fmt::format("--steps must be at least 1, got {}", o.max_steps));
  for (Method m : all_methods()) {
    auto it = o.lr.find(m);
    if (it == o.lr.end()) throw Error(fmt::format("no learning rate given for {} ({})", method_name(m), lr_flag(m)));
    RuleOptions rule;
    rule.lr = it->second;
    rule.beta = o.beta;
    rule.beta1 = o.beta1;
    rule.beta2 = o.beta2;
    rule.epsilon = o.epsilon;
    validate(rule, lr_flag(m));
  }
}

}  // namespace

std::string lr_flag(Method method) { return "--lr-" + lower(method_name(method)); }

AdaptiveResult run_adaptive(const AdaptiveOptions& o) {
  validate_options(o);
  const bool write = !o.out_dir.empty();
  if (write) detail::prepare_out_dir(o.out_dir);
  AdaptiveResult result;
  std::string& s = result.summary;
  s += fmt::format(
      "adaptive: lr GD {} SGD {} RMSProp {} Adam {} Adagrad {}; RMSProp beta {}; Adam beta1 {} beta2 {}; "
      "epsilon {}; SGD batch {}; tol {:g} on ||Xw - t||\n",
      o.lr.at(Method::GD), o.lr.at(Method::SGD), o.lr.at(Method::RMSProp), o.lr.at(Method::Adam),
      o.lr.at(Method::Adagrad), o.beta, o.beta1, o.beta2, o.epsilon, o.batch, o.tol);

  // The 2-D example of question 1.2.1.
  const auto two_d = two_d_example();
  const RowSpace two_d_span(two_d.X);
  result.two_d_min_norm = min_norm_solution(two_d.X, two_d.t);
  s += fmt::format("2-D example x1 = [2, 1], t = 2: minimum-norm solution {}\n",
                   detail::format_vector(result.two_d_min_norm));
  report::LinePlot paths{"2-D example: iterates from w = 0 over the solutions 2 w1 + w2 = 2", "w1", "w2"};
  paths.extra = {"set size ratio -1", "set xrange [-0.05:1.05]", "set yrange [-0.05:1.05]"};
  paths.series.push_back({"solution_line.csv", "w1", "w2", "solutions 2 w1 + w2 = 2"});
  paths.series.push_back({"min_norm_point.csv", "w1", "w2", "minimum norm (0.8, 0.4)", false, "points pt 7 ps 2"});
  for (Method m : all_methods()) {
    auto r = solve("2-D", two_d, m, o, result.two_d_min_norm, two_d_span, /*keep_history=*/true);
    s += describe(r.outcome) + fmt::format("  w = {}{}\n", detail::format_vector(r.outcome.descent.w),
                                           m == Method::SGD ? "  (n = 1: the same as GD)" : "");
    if (write) {
      const std::string csv = "two_d_" + lower(method_name(m)) + ".csv";
      r.history.save(o.out_dir / csv);
      result.files.push_back(o.out_dir / csv);
      // RMSProp, Adam and Adagrad share the diagonal path here, so dash types keep each visible.
      const char* style = m == Method::SGD       ? "lines dt 2"
                          : m == Method::Adam    ? "lines dt 3"
                          : m == Method::Adagrad ? "lines dt 4"
                                                 : "lines";
      paths.series.push_back({csv, "w1", "w2", method_name(m), false, style});
    }
    result.two_d.push_back(r.outcome);
  }

  // Random over-parameterized problems.
  report::LinePlot distance{"Random problem 1: distance to the minimum-norm solution", "step", "||w - w*||"};
  distance.log_y = true;
  for (int64_t i = 0; i < o.problems; ++i) {
    RegressionOptions ro = o.problem;
    ro.seed = o.problem.seed + static_cast<uint64_t>(i);
    const auto p = make_regression(ro);
    const RowSpace span(p.X);
    const auto w_star = min_norm_solution(p.X, p.t);
    const std::string label = fmt::format("random {}", i + 1);
    result.random_min_norm.push_back(w_star.norm().item<double>());
    s += fmt::format("{} (n = {}, d = {}, seed {}): ||w*|| = {:.6f}\n", label, ro.n, ro.d, ro.seed,
                     result.random_min_norm.back());
    for (Method m : all_methods()) {
      auto r = solve(label, p, m, o, w_star, span, /*keep_history=*/write && i == 0);
      s += describe(r.outcome) + "\n";
      if (write && i == 0) {
        const std::string csv = "random_1_" + lower(method_name(m)) + ".csv";
        r.history.save(o.out_dir / csv);
        result.files.push_back(o.out_dir / csv);
        distance.series.push_back({csv, "step", "distance_plot", method_name(m)});
      }
      result.random.push_back(r.outcome);
    }
  }
  if (!write) return result;

  report::Table line({"w1", "w2"});
  for (double w1 : {0.0, 1.0}) line.add_row({w1, 2.0 - 2.0 * w1});  // the segment inside the plotted square
  line.save(o.out_dir / "solution_line.csv");
  report::Table point({"w1", "w2"});
  point.add_row({result.two_d_min_norm[0].item<double>(), result.two_d_min_norm[1].item<double>()});
  point.save(o.out_dir / "min_norm_point.csv");
  report::Table table(
      {"problem", "method", "steps", "converged", "residual", "norm", "min_norm", "distance", "off_span"});
  auto add = [&](const SolverOutcome& x, double w_star_norm) {
    table.add_text_row({x.problem, method_name(x.method), std::to_string(x.descent.steps),
                        x.descent.converged ? "yes" : "no", fmt::format("{:.6g}", x.descent.residual),
                        fmt::format("{:.10g}", x.norm), fmt::format("{:.10g}", w_star_norm),
                        fmt::format("{:.6g}", x.distance), fmt::format("{:.6g}", x.off_span)});
  };
  for (const auto& x : result.two_d) add(x, result.two_d_min_norm.norm().item<double>());
  for (size_t k = 0; k < result.random.size(); ++k)
    add(result.random[k], result.random_min_norm[k / all_methods().size()]);
  table.save(o.out_dir / "solutions.csv");
  report::plot_lines(o.out_dir / "two_d_paths.png", paths);
  if (!distance.series.empty()) report::plot_lines(o.out_dir / "random_distance.png", distance);
  detail::write_summary(o.out_dir, s);
  for (const char* f : {"solution_line.csv", "min_norm_point.csv", "solutions.csv", "two_d_paths.png", "summary.txt"}) {
    result.files.push_back(o.out_dir / f);
  }
  if (!distance.series.empty()) result.files.push_back(o.out_dir / "random_distance.png");
  return result;
}

}  // namespace tint::optim
