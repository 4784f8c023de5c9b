#include <fmt/core.h>

#include "colourizer_flags.h"
#include "commands.h"
#include "decoding_flags.h"
#include "settings_flags.h"
#include "tint/colourize/colourize_settings.h"
#include "tint/colourize/colourizer.h"
#include "tint/colourize/temporal.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/image_settings.h"
#include "tint/media/colourize_video.h"
#include "tint/report/progress.h"
#include "tint/video/video_settings.h"
#include "tint/video/video_writer.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

// The folder of the shipped colourizers (data/pretrained/, or share/tint/pretrained/ when installed).
fs::path shipped_pretrained_dir() {
  return shipped_file(TINT_INSTALL_PRETRAINED_SUFFIX, TINT_SOURCE_PRETRAINED_DIR,
                      "the shipped colourizers (data/pretrained/) were not found: pass --run DIR or --checkpoint FILE");
}

}  // namespace

void add_colourizer_flags(CLI::App& cmd, colourize::ColourizerChoice& choice, const std::string& run_help) {
  add_settings(cmd, colourize::colourizer_choice_settings(), choice);
  auto* run = cmd.get_option("--run");
  if (!run_help.empty()) run->description(run_help);
  auto* checkpoint = cmd.get_option("--checkpoint");
  checkpoint->excludes(run);
  cmd.get_option("--pretrained")->excludes(run)->excludes(checkpoint);
}

fs::path chosen_checkpoint(const colourize::ColourizerChoice& choice) {
  const bool shipped = choice.run.empty() && choice.checkpoint.empty();
  return colourize::colourizer_checkpoint(choice, shipped ? shipped_pretrained_dir() : fs::path());
}

int working_side(const CLI::App& cmd, const colourize::Colourizer& colourizer, int given) {
  return cmd.count("--size") > 0 ? given : colourizer.training_side();
}

colourize::Colourizer chosen_colourizer(const colourize::ColourizerChoice& choice,
                                        const std::optional<data::AbDecoding>& decoding) {
  const fs::path checkpoint = chosen_checkpoint(choice);
  auto colourizer = colourize::Colourizer::from_checkpoint(checkpoint);
  if (decoding && !colourizer.predicts_ab()) {
    throw Error(
        fmt::format("--decode and --temperature apply to ab-bins models; {} predicts palette colours "
                    "(--target palette)",
                    checkpoint.string()));
  }
  return colourizer;
}

void add_colourize(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    std::vector<std::string> inputs;
    std::string out, out_dir = "colourized";
    colourize::ColourizerChoice model;
    colourize::ColourizeOptions options;
    data::ImageFileOptions files;  // --format png by default
    train::TrainConfig decoding;   // only --decode and --temperature are bound
    video::VideoWriteOptions video;
    colourize::TemporalOptions temporal;
    int nproc = 0;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("colourize",
                         "Colourize your own images (JPEG, PNG or WebP; any size, upright as EXIF says) and videos "
                         "(.mp4, .mkv, .webm, .mov, .avi: every frame, sound and subtitles copied untouched)");
  cmd->add_option("inputs", f->inputs, "Image or video files, or folders of them")->required();
  cmd->add_option("-o,--out", f->out,
                  "Output file, one input only: JPEG if it ends in .jpg/.jpeg, else PNG; for a video, .mp4, .mkv "
                  "or .mov");
  cmd->add_option("--out-dir", f->out_dir,
                  "Output folder: NAME.jpg becomes NAME_colourized.png (or .jpg, --format), NAME.mp4 "
                  "NAME_colourized.mp4 (.webm and .avi become .mkv)")
      ->capture_default_str();
  add_settings(*cmd, data::image_file_settings(), f->files);
  add_settings(*cmd, video::video_write_settings(), f->video);
  add_settings(*cmd, colourize::temporal_settings(), f->temporal);
  add_colourizer_flags(*cmd, f->model);
  add_settings(*cmd, colourize::colourize_settings(), f->options);
  add_decoding_flags(*cmd, f->decoding);
  add_threads_flag(*cmd, shared);
  add_nproc_flag(*cmd, f->nproc, kFilesNprocHelp);
  cmd->callback([f, cmd, &shared] {
    f->options.decoding = decoding_flags(*cmd, f->decoding);
    auto files = expand_inputs(f->inputs, /*with_videos=*/true);
    if (files.empty()) throw Error("no images or videos found in the given folders");
    if (!f->out.empty() && files.size() != 1) throw Error("-o/--out takes one input; use --out-dir for several");
    const auto colourizer = chosen_colourizer(f->model, f->options.decoding);
    f->options.working_side = working_side(*cmd, colourizer, f->options.working_side);
    if (f->out.empty()) ensure_directory(f->out_dir);
    // Everything above runs in this process and in every worker (--nproc), which checks the flags before any starts.
    for_each_file_on_workers(shared, f->nproc, files, "colourizing", [&](const fs::path& file) {
      if (video::is_video_name(file)) {
        // Every frame as a photo is colourized (its own lightness, the model's chroma), the chroma carried from
        // frame to frame where the picture is still (colourize/temporal.h).
        const fs::path out =
            f->out.empty()
                ? fs::path(f->out_dir) / (file.stem().string() + "_colourized" + video::default_video_extension(file))
                : fs::path(f->out);
        report::ProgressBar bar;
        const auto done = media::colourize_video(
            colourizer, file, out, {f->options, f->temporal, f->video},
            [&](int64_t frames, int64_t total) { bar.update(file.filename().string(), frames, total, "frames"); });
        bar.clear();
        return fmt::format("{} -> {} ({} frames, {} scene cut(s); {})", file.string(), out.string(), done.frames,
                           done.cuts, done.stages.describe("colourizing"));
      }
      const auto picture = colourizer.picture(data::read_image(file, f->files.read), f->options);
      fs::path out = f->out.empty() ? fs::path(f->out_dir) / (file.stem().string() + "_colourized." + f->files.format)
                                    : fs::path(f->out);
      data::write_image(out, picture, f->files.write);
      return fmt::format("{} -> {}", file.string(), out.string());
    });
  });
}

}  // namespace tint::cli
