#include <fmt/core.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/distributed/group.h"
#include "tint/train/console_observer.h"

namespace tint::cli {

void add_train(CLI::App& app, Common& common) {
  struct Flags {
    train::TrainConfig config;
    std::string out;
    std::string resume;
    bool force = false;
    int nproc = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("train", "Train a colourization network (defaults: the source's ConvTransposeNet run)");
  add_settings(*cmd, train::train_settings(), f->config);
  add_data_flag(*cmd, common);
  add_threads_flag(*cmd, common);
  cmd->add_option("-o,--out", f->out, "Run directory (default: runs/<model>)");
  cmd->add_option("--resume", f->resume, "Continue the run in this directory (its config wins; --epochs extends it)");
  cmd->add_flag("--force", f->force, "Start afresh even if --out already holds a run");
  add_nproc_flag(*cmd, f->nproc);
  cmd->callback([f, cmd, &common] { run_data_parallel(common, f->nproc, [&](distributed::Group* group) {
    train::TrainJob job;
    job.group = group;
    job.config = f->config;
    job.data_dir = resolve_data_dir(common);
    job.overwrite = f->force;
    if (!f->resume.empty()) {
      job.resume = true;
      job.run_dir = f->resume;
      if (cmd->count("--epochs") > 0) job.epochs_override = f->config.epochs;
    } else {
      job.run_dir = f->out.empty() ? "runs/" + f->config.model : f->out;
    }
    train::ConsoleObserver observer;
    auto result = train::train(job, &observer);
    if (group != nullptr && group->rank() != 0) return;
    const auto& last = result.history.back();
    fmt::print("final: val loss {:.4f}, val acc {:.2f}% after {} epochs; run saved in {}\n", last.val_loss,
               last.val_acc, last.epoch, result.run_dir.string());
  }); });
}

void add_evaluate(CLI::App& app, Common& common) {
  auto run = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("evaluate", "Validation loss and accuracy of a saved run");
  cmd->add_option("--run", *run, "Run directory holding checkpoint.pt")->required();
  add_data_flag(*cmd, common);
  add_threads_flag(*cmd, common);
  cmd->callback([run, &common] {
    apply_threads(common);
    auto r = train::evaluate_run(*run, resolve_data_dir(common));
    fmt::print("{} after {} epochs on {} validation images: val loss {:.4f}, val acc {:.2f}%\n", r.model, r.epoch,
               r.images, r.result.loss, r.result.accuracy);
  });
}

}  // namespace tint::cli
