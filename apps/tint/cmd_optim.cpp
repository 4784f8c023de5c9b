// `tint optim <experiment>`: the optimization lab of sections 1 and 2 of the source. Each experiment is a library
// call (include/tint/optim/); this file only declares the flags, with their defaults, and prints the summary.
// To add an experiment: a library function run_xxx(const XxxOptions&) returning a result with `summary` and
// `files`, then an add_xxx() below that binds its options to flags.
#include <fmt/core.h>

#include "commands.h"
#include "tint/core/runtime.h"
#include "tint/optim/adaptive.h"
#include "tint/optim/hypergrad_experiment.h"
#include "tint/optim/min_norm.h"
#include "tint/optim/weight_decay.h"

namespace tint::cli {
namespace {

// CLI11's own number checks print their full double range in the message; these name the rule and the value.
CLI::Validator number_check(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& in) -> std::string {
        double v = 0.0;
        if (!CLI::detail::lexical_cast(in, v)) return "expected a number, got '" + in + "'";
        if (allow_zero ? v >= 0.0 : v > 0.0) return {};
        return std::string(allow_zero ? "must be non-negative" : "must be positive") + ", got " + in;
      },
      allow_zero ? "NON-NEGATIVE" : "POSITIVE");
}
const CLI::Validator kPositive = number_check(false);
const CLI::Validator kNonNegative = number_check(true);

// Every flag here shows its default in --help and checks its value.
template <typename T>
void flag(CLI::App& cmd, const std::string& name, T& value, const std::string& help, const CLI::Validator& check) {
  cmd.add_option(name, value, help)->check(check)->capture_default_str();
}

// Flags every experiment shares: the problem's size and seed, the output folder, the threads. The problems are a
// few thousand numbers, where a second thread costs more in hand-offs than it saves, so --threads defaults to 1
// here (the SharedFlags default, every core, suits the CNN commands).
void add_problem_flags(CLI::App& cmd, optim::RegressionOptions& problem, std::filesystem::path& out, int& threads) {
  flag(cmd, "--n", problem.n, "Training examples (rows of X)", kPositive);
  flag(cmd, "--d", problem.d, "Features (columns of X)", kPositive);
  flag(cmd, "--seed", problem.seed, "Seed of the random problem (and of SGD's batch order)", kNonNegative);
  cmd.add_option("-o,--out", out, "Output directory (CSV, PNG plots with their .csv/.gp, summary.txt)")
      ->capture_default_str();
  flag(cmd, "--threads", threads, "Intra-op threads (0 = number of cores)", kNonNegative);
}

template <typename Result>
void report(const Result& r) {
  fmt::print("{}", r.summary);
  if (!r.files.empty()) {
    fmt::print("wrote {}/ (summary.txt, CSVs, PNG plots with their .csv data and .gp scripts)\n",
               r.files.front().parent_path().string());
  }
}

// One subcommand: its options object (shared with the callback, which outlives this call), the problem flags every
// experiment has, then the experiment's own flags from `bind`; running it prints the library's summary.
template <typename Options, typename Run, typename Bind>
void add_experiment(CLI::App& optim, const std::string& name, const std::string& about, const char* out_dir, Run run,
                    Bind bind) {
  auto threads = std::make_shared<int>(1);
  auto o = std::make_shared<Options>();
  o->out_dir = out_dir;
  auto* cmd = optim.add_subcommand(name, about);
  add_problem_flags(*cmd, o->problem, o->out_dir, *threads);
  bind(*cmd, *o);
  cmd->callback([o, threads, run] {
    configure_threads(*threads);
    report(run(*o));
  });
}

// RMSProp's and Adam's decay rates and epsilon, shared by the experiments that run both.
template <typename Options>
void add_moment_flags(CLI::App& cmd, Options& o, const std::string& epsilon_help) {
  cmd.add_option("--beta", o.beta, "RMSProp's squared-gradient decay")->capture_default_str();
  cmd.add_option("--beta1", o.beta1, "Adam's first-moment decay")->capture_default_str();
  cmd.add_option("--beta2", o.beta2, "Adam's second-moment decay")->capture_default_str();
  flag(cmd, "--epsilon", o.epsilon, epsilon_help, kNonNegative);
}

void add_min_norm(CLI::App& optim) {
  add_experiment<optim::MinNormOptions>(
      optim, "min-norm", "SGD and GD from w = 0 find the minimum-norm solution (question 1.1.1)", "runs/optim-min-norm",
      optim::run_min_norm, [](CLI::App& cmd, optim::MinNormOptions& o) {
        flag(cmd, "--batch-size", o.batch, "SGD mini-batch size b (drawn without replacement)", kPositive);
        flag(cmd, "--lr", o.lr, "Learning rate of GD and SGD", kPositive);
        flag(cmd, "--tol", o.tol, "Stop once ||Xw - t|| < tol", kPositive);
        flag(cmd, "--steps", o.max_steps, "Step limit of each run", kPositive);
        flag(cmd, "--init-scale", o.init_scale,
             "Contrast run: SGD from w0 ~ N(0, s^2 I), which keeps its off-span part (0 = no contrast run)",
             kNonNegative);
      });
}

void add_adaptive(CLI::App& optim) {
  add_experiment<optim::AdaptiveOptions>(
      optim, "adaptive",
      "Solutions of GD, SGD, RMSProp, Adam, Adagrad: 2-D example and random n < d (questions 1.2.1-2)",
      "runs/optim-adaptive", optim::run_adaptive, [](CLI::App& cmd, optim::AdaptiveOptions& o) {
        flag(cmd, "--problems", o.problems, "Random problems (seeds seed, seed+1, ...)", kNonNegative);
        for (optim::Method m : optim::all_methods()) {
          flag(cmd, optim::lr_flag(m), o.lr[m], "Learning rate of " + optim::method_name(m), kPositive);
        }
        add_moment_flags(cmd, o, "Epsilon of RMSProp, Adam and Adagrad (see docs/optim.md on why not 1e-8)");
        flag(cmd, "--batch-size", o.batch, "SGD mini-batch size (capped at n)", kPositive);
        flag(cmd, "--tol", o.tol, "Converged once ||Xw - t|| < tol", kPositive);
        flag(cmd, "--steps", o.max_steps, "Step limit of each run", kPositive);
      });
}

void add_hypergrad(CLI::App& optim) {
  add_experiment<optim::HypergradOptions>(
      optim, "hypergrad",
      "Hypergradients of unrolled GD: reverse vs forward mode, memory, one-step optimum, hyper loop (2.1-2.2)",
      "runs/optim-hypergrad", optim::run_hypergrad, [](CLI::App& cmd, optim::HypergradOptions& o) {
        flag(cmd, "--n-validation", o.problem.n_validation, "Validation examples for the hyper loop", kPositive);
        flag(cmd, "--noise", o.problem.noise, "Standard deviation of the target noise", kNonNegative);
        flag(cmd, "--eta", o.eta, "Learning rate at which the hypergradients are checked", kPositive);
        flag(cmd, "--lambda", o.lambda, "L2 weight lambda of (1/n)||Xw - t||^2 + lambda ||w||^2", kNonNegative);
        cmd.add_option("--t", o.steps, "GD step counts t of the checks and the memory sweep (comma-separated)")
            ->delimiter(',')
            ->check(kPositive)
            ->capture_default_str();
        flag(cmd, "--fd-step", o.fd_step, "Relative step of the central finite differences", kPositive);
        flag(cmd, "--grid-points", o.grid_points, "Grid points of the one-step search",
             CLI::Range(int64_t{3}, int64_t{1000000}));
        flag(cmd, "--loop-t", o.loop_steps, "Inner GD steps t of the hyper loop", kPositive);
        flag(cmd, "--hyper-steps", o.loop.hyper_steps, "Outer steps on log(eta)", kNonNegative);
        flag(cmd, "--hyper-lr", o.loop.hyper_lr, "Step size on log(eta)", kPositive);
        flag(cmd, "--hyper-eta0", o.loop.eta0, "Starting eta of the hyper loop", kPositive);
      });
}

void add_weight_decay(CLI::App& optim) {
  add_experiment<optim::WeightDecayOptions>(
      optim, "weight-decay",
      "L2 with lambda~ = lambda/(2 eta) against weight decay lambda: GD, RMSProp, Adam/AdamW (2.3)",
      "runs/optim-weight-decay", optim::run_weight_decay, [](CLI::App& cmd, optim::WeightDecayOptions& o) {
        flag(cmd, "--lr", o.lr, "Learning rate eta of GD, RMSProp and Adam", kPositive);
        flag(cmd, "--lambda", o.decay, "Weight decay per step, w <- (1 - lambda) w - eta grad (equation 5)",
             kNonNegative);
        flag(cmd, "--steps", o.steps, "Steps of each run", kPositive);
        add_moment_flags(cmd, o, "Epsilon of RMSProp and Adam");
      });
}

}  // namespace

// `shared` is unused: the experiments need no --data, and their --threads has its own default (see above).
void add_optim(CLI::App& app, SharedFlags& /*shared*/) {
  auto* optim = app.add_subcommand("optim",
                                   "Optimization lab: minimum-norm SGD, adaptive methods, hypergradients, "
                                   "weight decay (sections 1-2); each writes CSVs, plots and summary.txt");
  optim->require_subcommand(1);
  add_min_norm(*optim);
  add_adaptive(*optim);
  add_hypergrad(*optim);
  add_weight_decay(*optim);
}

}  // namespace tint::cli
