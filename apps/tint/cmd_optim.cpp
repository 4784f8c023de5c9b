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

// Flags every experiment shares: the problem's size and seed, the output folder, the threads. The problems are a
// few thousand numbers, where a second thread costs more in hand-offs than it saves, so --threads defaults to 1
// here (the shared Common default, every core, suits the CNN commands).
void add_problem_flags(CLI::App& cmd, optim::RegressionOptions& problem, std::filesystem::path& out, int& threads) {
  cmd.add_option("--n", problem.n, "Training examples (rows of X)")->check(kPositive)->capture_default_str();
  cmd.add_option("--d", problem.d, "Features (columns of X)")->check(kPositive)->capture_default_str();
  cmd.add_option("--seed", problem.seed, "Seed of the random problem (and of SGD's batch order)")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd.add_option("-o,--out", out, "Output directory (CSV, PNG plots with their .csv/.gp, summary.txt)")
      ->capture_default_str();
  cmd.add_option("--threads", threads, "Intra-op threads (0 = number of cores)")->check(kNonNegative)->capture_default_str();
}

template <typename Result>
void report(const Result& r) {
  fmt::print("{}", r.summary);
  if (!r.files.empty()) {
    fmt::print("wrote {}/ (summary.txt, CSVs, PNG plots with their .csv data and .gp scripts)\n",
               r.files.front().parent_path().string());
  }
}

void add_min_norm(CLI::App& optim) {
  auto threads = std::make_shared<int>(1);
  auto o = std::make_shared<optim::MinNormOptions>();
  o->out_dir = "runs/optim-min-norm";
  auto* cmd = optim.add_subcommand("min-norm", "SGD and GD from w = 0 find the minimum-norm solution (question 1.1.1)");
  add_problem_flags(*cmd, o->problem, o->out_dir, *threads);
  cmd->add_option("--batch-size", o->batch, "SGD mini-batch size b (drawn without replacement)")
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--lr", o->lr, "Learning rate of GD and SGD")->check(kPositive)->capture_default_str();
  cmd->add_option("--tol", o->tol, "Stop once ||Xw - t|| < tol")->check(kPositive)->capture_default_str();
  cmd->add_option("--steps", o->max_steps, "Step limit of each run")->check(kPositive)->capture_default_str();
  cmd->add_option("--init-scale", o->init_scale,
                  "Contrast run: SGD from w0 ~ N(0, s^2 I), which keeps its off-span part (0 = no contrast run)")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->callback([o, threads] {
    configure_threads(*threads);
    report(optim::run_min_norm(*o));
  });
}

void add_adaptive(CLI::App& optim) {
  auto threads = std::make_shared<int>(1);
  auto o = std::make_shared<optim::AdaptiveOptions>();
  o->out_dir = "runs/optim-adaptive";
  auto* cmd = optim.add_subcommand(
      "adaptive", "Solutions of GD, SGD, RMSProp, Adam, Adagrad: 2-D example and random n < d (questions 1.2.1-2)");
  add_problem_flags(*cmd, o->problem, o->out_dir, *threads);
  cmd->add_option("--problems", o->problems, "Random problems (seeds seed, seed+1, ...)")
      ->check(kNonNegative)
      ->capture_default_str();
  for (optim::Method m : optim::all_methods()) {
    cmd->add_option(optim::lr_flag(m), o->lr[m], "Learning rate of " + optim::method_name(m))
        ->check(kPositive)
        ->capture_default_str();
  }
  cmd->add_option("--beta", o->beta, "RMSProp's squared-gradient decay")->capture_default_str();
  cmd->add_option("--beta1", o->beta1, "Adam's first-moment decay")->capture_default_str();
  cmd->add_option("--beta2", o->beta2, "Adam's second-moment decay")->capture_default_str();
  cmd->add_option("--epsilon", o->epsilon, "Epsilon of RMSProp, Adam and Adagrad (see docs/optim.md on why not 1e-8)")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->add_option("--batch-size", o->batch, "SGD mini-batch size (capped at n)")->check(kPositive)->capture_default_str();
  cmd->add_option("--tol", o->tol, "Converged once ||Xw - t|| < tol")->check(kPositive)->capture_default_str();
  cmd->add_option("--steps", o->max_steps, "Step limit of each run")->check(kPositive)->capture_default_str();
  cmd->callback([o, threads] {
    configure_threads(*threads);
    report(optim::run_adaptive(*o));
  });
}

void add_hypergrad(CLI::App& optim) {
  auto threads = std::make_shared<int>(1);
  auto o = std::make_shared<optim::HypergradOptions>();
  o->out_dir = "runs/optim-hypergrad";
  auto* cmd = optim.add_subcommand(
      "hypergrad", "Hypergradients of unrolled GD: reverse vs forward mode, memory, one-step optimum, hyper loop (2.1-2.2)");
  add_problem_flags(*cmd, o->problem, o->out_dir, *threads);
  cmd->add_option("--n-validation", o->problem.n_validation, "Validation examples for the hyper loop")
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--noise", o->problem.noise, "Standard deviation of the target noise")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->add_option("--eta", o->eta, "Learning rate at which the hypergradients are checked")
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--lambda", o->lambda, "L2 weight lambda of (1/n)||Xw - t||^2 + lambda ||w||^2")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->add_option("--t", o->steps, "GD step counts t of the checks and the memory sweep (comma-separated)")
      ->delimiter(',')
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--fd-step", o->fd_step, "Relative step of the central finite differences")
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--grid-points", o->grid_points, "Grid points of the one-step search")
      ->check(CLI::Range(int64_t{3}, int64_t{1000000}))
      ->capture_default_str();
  cmd->add_option("--loop-t", o->loop_steps, "Inner GD steps t of the hyper loop")
      ->check(kPositive)
      ->capture_default_str();
  cmd->add_option("--hyper-steps", o->loop.hyper_steps, "Outer steps on log(eta)")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->add_option("--hyper-lr", o->loop.hyper_lr, "Step size on log(eta)")->check(kPositive)->capture_default_str();
  cmd->add_option("--hyper-eta0", o->loop.eta0, "Starting eta of the hyper loop")
      ->check(kPositive)
      ->capture_default_str();
  cmd->callback([o, threads] {
    configure_threads(*threads);
    report(optim::run_hypergrad(*o));
  });
}

void add_weight_decay(CLI::App& optim) {
  auto threads = std::make_shared<int>(1);
  auto o = std::make_shared<optim::WeightDecayOptions>();
  o->out_dir = "runs/optim-weight-decay";
  auto* cmd = optim.add_subcommand(
      "weight-decay", "L2 with lambda~ = lambda/(2 eta) against weight decay lambda: GD, RMSProp, Adam/AdamW (2.3)");
  add_problem_flags(*cmd, o->problem, o->out_dir, *threads);
  cmd->add_option("--lr", o->lr, "Learning rate eta of GD, RMSProp and Adam")->check(kPositive)->capture_default_str();
  cmd->add_option("--lambda", o->decay, "Weight decay per step, w <- (1 - lambda) w - eta grad (equation 5)")
      ->check(kNonNegative)
      ->capture_default_str();
  cmd->add_option("--steps", o->steps, "Steps of each run")->check(kPositive)->capture_default_str();
  cmd->add_option("--beta", o->beta, "RMSProp's squared-gradient decay")->capture_default_str();
  cmd->add_option("--beta1", o->beta1, "Adam's first-moment decay")->capture_default_str();
  cmd->add_option("--beta2", o->beta2, "Adam's second-moment decay")->capture_default_str();
  cmd->add_option("--epsilon", o->epsilon, "Epsilon of RMSProp and Adam")->check(kNonNegative)->capture_default_str();
  cmd->callback([o, threads] {
    configure_threads(*threads);
    report(optim::run_weight_decay(*o));
  });
}

}  // namespace

// `common` is unused: the experiments need no --data, and their --threads has its own default (see above).
void add_optim(CLI::App& app, Common& /*common*/) {
  auto* optim = app.add_subcommand("optim", "Optimization lab: minimum-norm SGD, adaptive methods, hypergradients, "
                                            "weight decay (sections 1-2); each writes CSVs, plots and summary.txt");
  optim->require_subcommand(1);
  add_min_norm(*optim);
  add_adaptive(*optim);
  add_hypergrad(*optim);
  add_weight_decay(*optim);
}

}  // namespace tint::cli
