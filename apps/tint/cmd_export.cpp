// tint export: a colourization network (a run, a checkpoint or a shipped model) or a darknet detector (a detection
// run, cfg + weights, or the shipped Yolo-Fastest 1.1) as an ONNX file (export/).
//
// The colourizer is chosen by colourize's rows (--run, --checkpoint, --pretrained: colourizer_flags.h); the detector's
// flags are detect's choice of files under the names the issue gives them (--detector-run, as --run is the
// colourization run's here). A colourizer written to FILE.pt is its checkpoint without the optimizer's state, the
// form the shipped models take (data/pretrained/).
#include <fmt/core.h>

#include "colourizer_flags.h"
#include "commands.h"
#include "tint/core/error.h"
#include "tint/detect/detect_settings.h"
#include "tint/export/colourizer_export.h"
#include "tint/export/detector_export.h"
#include "tint/runs/run_kind.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint::cli {
namespace fs = std::filesystem;

void add_export(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    std::string out;
    colourize::ColourizerChoice colourizer;
    detect::DetectorChoice detector;  // run: --detector-run
    bool shipped_detector = false, decode = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "export",
      "Write a model as an ONNX file (opset 13) for OpenCV DNN, ONNX Runtime and other ONNX tools, or a colourizer as "
      "a weights-only checkpoint (-o FILE.pt)");
  cmd->add_option("-o,--out", f->out,
                  "The .onnx file to write; for a colourizer FILE.pt writes its checkpoint without the optimizer's "
                  "state instead (a third of the size; it colourizes and scores as the run does, but cannot resume "
                  "training)")
      ->required();
  add_colourizer_flags(*cmd, f->colourizer, "A colourization run directory: its checkpoint.pt's network");
  auto* run = cmd->get_option("--run");
  auto* checkpoint = cmd->get_option("--checkpoint");
  auto* detector_run =
      cmd->add_option("--detector-run", f->detector.run, "A detection run directory: its fine-tuned cfg and weights");
  auto* cfg = cmd->add_option("--cfg", f->detector.cfg, "A darknet .cfg (with --weights)")->excludes(detector_run);
  auto* weights = cmd->add_option("--weights", f->detector.weights, "Its darknet .weights")->excludes(detector_run);
  auto* names_option =
      cmd->add_option("--names", f->detector.names, "Its class names, recorded in the file")->excludes(detector_run);
  auto* shipped = cmd->add_flag("--detector", f->shipped_detector, "The shipped detector, Yolo-Fastest 1.1");
  cmd->add_flag("--decode", f->decode,
                "Also the decoded output, inside the graph: an ab-bins colourizer's ab (its run's mean or annealed "
                "mean); a detector's boxes (x1, y1, x2, y2 in input pixels) and scores (objectness x class "
                "probability)");
  for (auto* d : std::vector<CLI::Option*>{detector_run, cfg, weights, names_option, shipped})
    for (auto* c : std::vector<CLI::Option*>{run, checkpoint, cmd->get_option("--pretrained")}) d->excludes(c);
  add_threads_flag(*cmd, shared);
  cmd->callback([f, cmd, &shared] {
    apply_threads(shared);
    const auto& d = f->detector;
    if (f->shipped_detector || !d.run.empty() || !d.cfg.empty() || !d.weights.empty() || !d.names.empty()) {
      // detector_files names its run flag --run; here it is --detector-run, so the kind is checked first.
      if (!d.run.empty()) runs::expect_kind(d.run, runs::RunKind::detection, "--detector-run");
      const auto files = detect::detector_files(d, d.run.empty() ? shipped_detector_dir() : fs::path());
      const auto summary = onnx_export::export_detector(files.cfg, files.weights, files.names, f->out, f->decode);
      fmt::print("{}\n", onnx_export::format_summary(summary));
      return;
    }
    const auto& c = f->colourizer;
    if (c.run.empty() && c.checkpoint.empty() && cmd->count("--pretrained") == 0) {
      throw Error(
          "export: say which model: --run DIR, --checkpoint FILE or --pretrained NAME (a colourizer), or --detector, "
          "--cfg/--weights or --detector-run DIR (a detector)");
    }
    const fs::path file = chosen_checkpoint(c);
    if (fs::path(f->out).extension() == ".pt") {
      train::CheckpointReader reader(file);
      auto model = train::load_model(reader);
      train::save_weights_only(f->out, reader.meta(), *model);
      fmt::print("{}: {} ({} weights), epoch {}, without the optimizer's state ({} bytes)\n", f->out,
                 reader.meta().config.model, models::count_weights(*model), reader.meta().epoch, fs::file_size(f->out));
      return;
    }
    const std::string source = !c.checkpoint.empty() ? "checkpoint " + file.filename().string()
                               : !c.run.empty()      ? "run " + fs::path(c.run).filename().string()
                                                : "pretrained " + c.pretrained + " (" + file.filename().string() + ")";
    const auto summary = onnx_export::export_colourizer(file, source, f->out, f->decode);
    fmt::print("{}\n", onnx_export::format_summary(summary));
  });
}

}  // namespace tint::cli
