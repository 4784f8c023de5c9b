#include <fmt/core.h>

#include "commands.h"
#include "tint/train/palette_job.h"

namespace tint::cli {

void add_palette(CLI::App& app, Common& common) {
  struct Flags {
    train::PaletteJob job;
    std::string out = "palette";
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("palette", "Find the K-colour palette by k-means over training pixels");
  add_data_flag(*cmd, common);
  add_threads_flag(*cmd, common);
  cmd->add_option("--category", flags->job.category, "Category name or index, or 'all'")->capture_default_str();
  cmd->add_option("-k,--k", flags->job.kmeans.k, "Number of colours")->check(CLI::Range(2, 256))->capture_default_str();
  cmd->add_option("--seed", flags->job.kmeans.seed, "k-means++ seed")->capture_default_str();
  cmd->add_option("--max-iterations", flags->job.kmeans.max_iterations, "Lloyd iteration limit")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("-o,--out", flags->out, "Output directory (palette.json, palette.png)")->capture_default_str();
  cmd->callback([flags, &common] {
    apply_threads(common);
    flags->job.data_dir = resolve_data_dir(common);
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
