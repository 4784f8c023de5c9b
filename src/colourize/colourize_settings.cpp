#include "tint/colourize/colourize_settings.h"

#include <fmt/core.h>

#include "tint/colourize/pretrained.h"
#include "tint/core/error.h"
#include "tint/train/run_dir.h"

namespace tint::colourize {

std::string ColourizerChoice::pretrained_default() { return pretrained_colourizers().front().name; }

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<ColourizerChoice>& colourizer_choice_settings() {
  using C = ColourizerChoice;
  static const SettingsTable<C> table = [] {
    std::vector<std::string> names;
    std::string help = "Use a shipped model:";
    for (const auto& p : pretrained_colourizers()) {
      names.push_back(p.name);
      help += fmt::format("\n  {}: {}", p.name, p.about);
    }
    return SettingsTable<C>{
        optional_text<C>("run", "run", [](C& c) -> std::string& { return c.run; },
                         "Use the model of this `tint train` run directory"),
        optional_text<C>("checkpoint", "checkpoint", [](C& c) -> std::string& { return c.checkpoint; },
                         "Use this checkpoint.pt"),
        choice<C>("pretrained", "pretrained", [](C& c) -> std::string& { return c.pretrained; }, names, help),
    };
  }();
  return table;
}

const SettingsTable<ColourizeOptions>& colourize_settings() {
  using C = ColourizeOptions;
  static const SettingsTable<C> table{
      integer<C, int>("size", "working_side", [](C& c) -> int& { return c.working_side; }, 0, 4096,
                      "Shorter side at which the network runs (default: the side the model was trained at, 32 for CIFAR-10 "
                      "models; rounded to a multiple of 4, or 16 for deep-unet; 0 = the image's own size)"),
      switch_flag<C>("raw", "raw", [](C& c) -> bool& { return c.raw; },
                     "Write the network's own prediction at --size (palette colours, or the decoded ab on the grey "
                     "input's lightness) instead of recombining with the input's full-resolution grey or lightness"),
      switch_flag<C>("side-by-side", "side_by_side", [](C& c) -> bool& { return c.side_by_side; },
                     "Write grey | colourized next to each other"),
      enumeration<C, Upsample>("upsample", "upsample", [](C& c) -> Upsample& { return c.upsample; }, upsample_names(),
                               "How the colours predicted at --size reach full resolution: guided (a guided filter "
                               "by the full-resolution grey, so colour stops at edges) or bilinear (blurred across "
                               "them)"),
      integer<C, int>("guide-radius", "guide_radius", [](C& c) -> int& { return c.guide_radius; }, 0, 16,
                      "--upsample guided: the guided filter's window radius, in pixels at --size (0 = bilinear)"),
      real<C>("guide-eps", "guide_eps", [](C& c) -> double& { return c.guide_eps; }, 0.0, false,
              "--upsample guided: the guided filter's regularisation (grey on 0..1: edges whose variance is well "
              "below it are smoothed over)"),
  };
  return table;
}
// clang-format on

std::filesystem::path colourizer_checkpoint(const ColourizerChoice& choice,
                                            const std::filesystem::path& pretrained_dir) {
  if (!choice.run.empty() && !choice.checkpoint.empty()) throw Error("--run and --checkpoint: give one of them");
  if (!choice.checkpoint.empty()) return choice.checkpoint;
  if (!choice.run.empty()) return train::run_checkpoint(choice.run);
  return pretrained_dir / find_pretrained(choice.pretrained).file;
}

}  // namespace tint::colourize
