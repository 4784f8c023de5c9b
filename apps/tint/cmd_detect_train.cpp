#include <fmt/core.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/detect/fine_tune.h"
#include "tint/distributed/group.h"
#include "tint/report/progress.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

class DetectConsole : public detect::FineTuneObserver {
 public:
  void on_note(const std::string& message) override {
    bar_.clear();
    fmt::print("{}\n", message);
  }
  void on_batch(int epoch, int64_t done, int64_t total) override {
    bar_.update(epoch == 0 ? "reading images" : fmt::format("epoch {}", epoch), done, total);
  }
  void on_epoch(const detect::DetectEpoch& e, int epochs) override {
    bar_.clear();
    if (e.epoch == 0) {
      fmt::print("before training: val mAP@0.5 {:.2f}%, mAP@0.5:0.95 {:.2f}%, P {:.1f}% R {:.1f}%\n", e.map50,
                 e.map50_95, e.precision, e.recall);
    } else {
      fmt::print(
          "epoch {}/{}: loss {:.4f} (box {:.4f}, obj {:.4f}, cls {:.4f}); val mAP@0.5 {:.2f}%, "
          "mAP@0.5:0.95 {:.2f}%, P {:.1f}% R {:.1f}%; {:.1f} s\n",
          e.epoch, epochs, e.train_loss, e.box_loss, e.objectness_loss, e.class_loss, e.map50, e.map50_95, e.precision,
          e.recall, e.seconds);
    }
    std::fflush(stdout);
  }

 private:
  report::ProgressBar bar_;
};

}  // namespace

void add_detect_train(CLI::App& detect, SharedFlags& shared) {
  struct Flags {
    detect::FineTuneConfig config;
    std::string out = "runs/detect", resume;
    bool force = false;
    int nproc = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = detect.add_subcommand(
      "train",
      "Fine-tune a pretrained darknet detector on your data (default: Yolo-Fastest 1.1 from COCO); the run "
      "directory's model.weights opens in darknet, OpenCV and `tint detect --run`");
  add_settings(*cmd, detect::fine_tune_settings(), f->config);
  add_threads_flag(*cmd, shared);
  cmd->add_option("-o,--out", f->out, "Run directory")->capture_default_str();
  cmd->add_option("--resume", f->resume, "Continue the run in this directory (its config wins; --epochs extends it)");
  cmd->add_flag("--force", f->force, "Start afresh even if --out already holds a run");
  add_nproc_flag(*cmd, f->nproc);
  cmd->callback([f, cmd, &shared] {
    run_data_parallel(shared, f->nproc, [&](distributed::Group* group) {
      detect::FineTuneJob job;
      job.group = group;
      job.config = f->config;
      const fs::path shipped = shipped_detector_dir();
      job.default_cfg = shipped / "yolo-fastest-1.1.cfg";
      job.default_weights = shipped / "yolo-fastest-1.1.weights";
      job.default_names = shipped / "coco.names";
      set_run_directory(job, *cmd, f->resume, f->out, f->config.epochs, f->force);
      DetectConsole console;
      const auto result = detect::fine_tune(job, &console);
      if (group != nullptr && group->rank() != 0) return;
      const auto& first = result.history.front();
      const auto& last = result.history.back();
      fmt::print(
          "final: val mAP@0.5 {:.2f}% (before: {:.2f}%), mAP@0.5:0.95 {:.2f}% (before: {:.2f}%) after {} epochs; "
          "run saved in {}\n",
          last.map50, first.map50, last.map50_95, first.map50_95, last.epoch, result.run_dir.string());
    });
  });
}

}  // namespace tint::cli
