#include <fmt/core.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/models/model_table.h"
#include "tint/train/console_observer.h"
#include "tint/train/experiments.h"

namespace tint::cli {

namespace {

void print_summary(const std::string& parameter, const std::vector<train::SweepRun>& runs, const std::string& out) {
  fmt::print("\n{:>16}  {:>10}  {:>10}  {:>8}\n", parameter, "train loss", "val loss", "val acc");
  for (const auto& r : runs) {
    const auto& m = r.history.back();
    fmt::print("{:>16}  {:>10.4f}  {:>10.4f}  {:>7.2f}%\n", r.value, m.train_loss, m.val_loss, m.val_acc);
  }
  fmt::print("comparison written to {} (summary.csv, loss_curves.png, accuracy_curves.png, samples.png)\n", out);
}

struct SweepFlags {
  train::SweepJob job;
  std::string out;
};

void run(SweepFlags& f, SharedFlags& shared, const std::string& default_out) {
  apply_threads(shared);
  f.job.data_dir = resolve_data_dir(shared);
  f.job.out_dir = f.out.empty() ? default_out : f.out;
  train::ConsoleObserver observer;
  auto runs = train::run_sweep(f.job, &observer);
  print_summary(f.job.parameter, runs, f.job.out_dir.string());
}

}  // namespace

void add_sweep(CLI::App& app, SharedFlags& shared) {
  auto* sweep = app.add_subcommand("sweep", "Train one run per value of a setting and compare them");
  sweep->require_subcommand(1);
  for (const auto& parameter : train::sweep_parameters()) {
    if (parameter == "model") continue;  // `tint compare --models` covers it
    auto f = std::make_shared<SweepFlags>();
    f->job.parameter = parameter;
    auto* cmd = sweep->add_subcommand(parameter, fmt::format("Sweep --{} (e.g. the source's question 5.5)", parameter));
    cmd->add_option("--values", f->job.values, "Comma-separated values")->delimiter(',')->required();
    add_settings(*cmd, train::train_settings(), f->job.base);
    add_data_flag(*cmd, shared);
    add_threads_flag(*cmd, shared);
    cmd->add_option("-o,--out", f->out, "Output directory (default: runs/sweep-<setting>)");
    cmd->callback([f, &shared, parameter] { run(*f, shared, "runs/sweep-" + parameter); });
  }
}

void add_compare(CLI::App& app, SharedFlags& shared) {
  auto f = std::make_shared<SweepFlags>();
  f->job.parameter = "model";
  f->job.values = models::source_model_names();  // the source's three networks
  auto* cmd = app.add_subcommand("compare", "Train several networks with the same settings and compare them");
  cmd->add_option("--models", f->job.values, "Comma-separated networks")->delimiter(',')->capture_default_str();
  add_settings(*cmd, train::train_settings(), f->job.base, {"model"});
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->add_option("-o,--out", f->out, "Output directory (default: runs/compare)");
  cmd->callback([f, &shared] { run(*f, shared, "runs/compare"); });
}

}  // namespace tint::cli
