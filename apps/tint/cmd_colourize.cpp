#include <fmt/core.h>

#include <algorithm>

#include "commands.h"
#include "decoding_flags.h"
#include "settings_flags.h"
#include "tint/colourize/colourizer.h"
#include "tint/colourize/pretrained.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/image_settings.h"
#include "tint/report/image_grid.h"
#include "tint/train/run_dir.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

fs::path pretrained_checkpoint(const std::string& name) {
  const auto& row = colourize::find_pretrained(name);
  return shipped_file(
      fs::path(TINT_INSTALL_PRETRAINED_SUFFIX) / row.file, fs::path(TINT_SOURCE_PRETRAINED_DIR) / row.file,
      fmt::format("the pretrained colourizer '{}' ({}) was not found: pass --run DIR or --checkpoint FILE", name,
                  row.file));
}

std::string pretrained_help() {
  std::string help = "Use a shipped model:";
  for (const auto& p : colourize::pretrained_colourizers()) help += fmt::format("\n  {}: {}", p.name, p.about);
  return help;
}

}  // namespace

void add_colourize(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    std::vector<std::string> inputs;
    std::string out, out_dir = "colourized", run, checkpoint,
                     pretrained = colourize::pretrained_colourizers().front().name;
    colourize::ColourizeOptions options;
    data::ImageFileOptions files;  // --format png by default
    bool side_by_side = false;
    train::TrainConfig decoding;  // only --decode and --temperature are bound
  };
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("colourize", "Colourize your own images (JPEG, PNG or WebP; any size, upright as EXIF says)");
  cmd->add_option("inputs", f->inputs, "Image files or folders of images")->required();
  cmd->add_option("-o,--out", f->out, "Output file, one input only: JPEG if it ends in .jpg/.jpeg, else PNG");
  cmd->add_option("--out-dir", f->out_dir, "Output folder: NAME.jpg becomes NAME_colourized.png (or .jpg, --format)")
      ->capture_default_str();
  add_settings(*cmd, data::image_file_settings(), f->files);
  auto* run = cmd->add_option("--run", f->run, "Use the model of this run directory");
  auto* checkpoint_option = cmd->add_option("--checkpoint", f->checkpoint, "Use this checkpoint.pt")->excludes(run);
  std::vector<std::string> names;
  for (const auto& p : colourize::pretrained_colourizers()) names.push_back(p.name);
  cmd->add_option("--pretrained", f->pretrained, pretrained_help())
      ->check(CLI::IsMember(names))
      ->excludes(run)
      ->excludes(checkpoint_option)
      ->capture_default_str();
  cmd->add_option("--size", f->options.working_side,
                  "Shorter side at which the network runs (multiple of 4; 0 = the image's own size)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_flag("--raw", f->options.raw,
                "Write the network's own prediction at --size (palette colours, or the decoded ab on the grey input's "
                "lightness) instead of recombining with the input's full-resolution grey or lightness");
  add_decoding_flags(*cmd, f->decoding);
  cmd->add_flag("--side-by-side", f->side_by_side, "Write grey | colourized next to each other");
  add_threads_flag(*cmd, shared);
  cmd->callback([f, cmd, &shared] {
    apply_threads(shared);
    f->options.decoding = decoding_flags(*cmd, f->decoding);
    auto files = expand_inputs(f->inputs);
    if (files.empty()) throw Error("no images found in the given folders");
    if (!f->out.empty() && files.size() != 1) throw Error("-o/--out takes one input; use --out-dir for several");
    fs::path checkpoint = !f->checkpoint.empty() ? fs::path(f->checkpoint)
                          : !f->run.empty()      ? train::run_checkpoint(f->run)
                                                 : pretrained_checkpoint(f->pretrained);
    auto colourizer = colourize::Colourizer::from_checkpoint(checkpoint);
    if (f->options.decoding && !colourizer.predicts_ab()) {
      throw Error(
          fmt::format("--decode and --temperature apply to ab-bins models; {} predicts palette colours "
                      "(--target palette)",
                      checkpoint.string()));
    }
    if (f->out.empty()) ensure_directory(f->out_dir);
    for_each_file(files, "colourizing", [&](const fs::path& file) {
      auto image = data::read_image(file, f->files.read);
      torch::Tensor colour;
      if (f->side_by_side) {
        auto grey = colourize::grey_of(image).unsqueeze(0);
        colour = colourizer.colourize(image, f->options).unsqueeze(0);
        colour = report::make_grid({torch::cat({grey.expand({1, 3, -1, -1}), colour})}, 0, 1);
      } else {
        colour = colourizer.colourize_bytes(image, f->options);  // a quarter of the float's memory
      }
      fs::path out = f->out.empty() ? fs::path(f->out_dir) / (file.stem().string() + "_colourized." + f->files.format)
                                    : fs::path(f->out);
      data::write_image(out, colour, f->files.write);
      return fmt::format("{} -> {}", file.string(), out.string());
    });
  });
}

}  // namespace tint::cli
