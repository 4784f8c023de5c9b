#include <fmt/core.h>

#include "commands.h"
#include "tint/core/error.h"
#include "tint/models/model_config.h"
#include "tint/train/palette_job.h"

namespace tint::cli {

void add_palette(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    train::PaletteJob job;
    std::string out = "palette";
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("palette", "Find the K-colour palette by k-means over training pixels");
  add_data_flag(*cmd, shared);
  add_threads_flag(*cmd, shared);
  cmd->add_option("--category", flags->job.category, "Category name or index, or 'all'")->capture_default_str();
  // K is the networks' NC: the same flag, range and message as `tint train --num-colours` (the model's row).
  const auto* colours = find_setting(models::model_settings(), "num-colours");
  cmd->add_option_function<std::string>(
         "--num-colours",
         [flags, colours](const std::string& v) {
           models::ModelConfig m;
           try {
             colours->parse(m, v);
           } catch (const Error& e) {
             throw CLI::ValidationError(e.what());
           }
           flags->job.kmeans.k = m.num_colours;
         },
         "NC: number of colours (k-means K)")
      ->type_name(colours->range)
      ->default_str(std::to_string(flags->job.kmeans.k));
  cmd->add_option("--seed", flags->job.kmeans.seed, "k-means++ seed")->capture_default_str();
  cmd->add_option("--max-iterations", flags->job.kmeans.max_iterations, "Lloyd iteration limit")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("-o,--out", flags->out, "Output directory (palette.json, palette.png)")->capture_default_str();
  cmd->callback([flags, &shared] {
    apply_threads(shared);
    flags->job.data_dir = resolve_data_dir(shared);
    flags->job.out_dir = flags->out;
    auto r = train::run_palette(flags->job);
    fmt::print("palette: {} colours from {} pixels of {} '{}' training images in {:.2f} s\n", r.palette.size(),
               r.pixels, r.images, r.palette.category(), r.seconds);
    fmt::print("k-means: {} distinct colours, {} Lloyd iterations ({}), objective {:.6g} -> {:.6g}\n",
               r.distinct_colours, r.kmeans.iterations, r.kmeans.converged ? "converged" : "iteration limit",
               r.kmeans.objective.front(), r.kmeans.objective.back());
    fmt::print("wrote {} and {}\n", r.json_path.string(), r.png_path.string());
  });
}

}  // namespace tint::cli
