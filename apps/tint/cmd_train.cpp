#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "decoding_flags.h"
#include "settings_flags.h"
#include "tint/core/error.h"
#include "tint/distributed/group.h"
#include "tint/train/console_observer.h"
#include "tint/train/evaluation.h"

namespace tint::cli {

void add_train(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    train::TrainConfig config;
    std::string out;
    std::string resume;
    bool force = false;
    int nproc = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("train", "Train a colourization network (defaults: the source's ConvTransposeNet run)");
  add_settings(*cmd, train::train_settings(), f->config);
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->add_option("-o,--out", f->out, "Run directory (default: runs/<model>)");
  cmd->add_option("--resume", f->resume, "Continue the run in this directory (its config wins; --epochs extends it)");
  cmd->add_flag("--force", f->force, "Start afresh even if --out already holds a run");
  add_nproc_flag(*cmd, f->nproc);
  cmd->callback([f, cmd, &shared] {
    // Flags the chosen --target cannot use (the rows say which: --num-colours, --decode, ...), before any worker
    // starts; a resumed run's config.json decides its target.
    if (f->resume.empty()) check_given_settings(*cmd, train::train_settings(), f->config);
    run_data_parallel(shared, f->nproc, [&](distributed::Group* group) {
      train::TrainJob job;
      job.group = group;
      job.config = f->config;
      job.data_dir = resolve_data_dir(shared);
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
      if (last.colour) {
        fmt::print(
            "final colour: AuC {:.2f}%, rebalanced AuC {:.2f}%, PSNR {:.2f} dB, colourfulness {:.2f} (ground truth "
            "{:.2f})\n",
            last.colour->auc, last.colour->auc_rebalanced, last.colour->psnr, last.colour->colourfulness,
            last.colour->truth_colourfulness);
      }
    });
  });
}

void add_evaluate(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    std::string run, category;
    int64_t limit = -1;
    bool json = false;
    train::TrainConfig decoding;  // only --decode and --temperature are bound
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "evaluate", "Validation loss, accuracy and colour scores (AuC, PSNR, colourfulness) of a saved run");
  cmd->add_option("--run", f->run, "Run directory holding checkpoint.pt")->required();
  cmd->add_option("--category", f->category,
                  "Evaluate on this CIFAR-10 category's test images (name, index or all; default: the run's own)");
  cmd->add_option("--limit", f->limit, "Evaluate on the first N test images (0 = all; default: the run's --val-limit)")
      ->check(CLI::NonNegativeNumber);
  add_decoding_flags(*cmd, f->decoding);
  cmd->add_flag("--json", f->json, "Print one JSON object instead of text");
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->callback([f, cmd, &shared] {
    apply_threads(shared);
    train::EvaluateRunOptions options;
    options.category = f->category;
    options.decoding = decoding_flags(*cmd, f->decoding);
    if (f->limit >= 0) options.limit = f->limit;
    auto r = train::evaluate_run(f->run, resolve_data_dir(shared), options);
    if (f->json) {
      auto j = train::evaluation_to_json(r);
      j["run"] = f->run;
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}", train::format_evaluation(r));
    }
  });
}

}  // namespace tint::cli
