// The settings of colourizing as settings tables (core/settings.h): which model colourizes (--run, --checkpoint,
// --pretrained) and how (--size, --raw, --side-by-side, --upsample). `tint colourize` binds these rows; a command that reads a
// colourizer (export, video) binds the same ones, so each flag is declared once with its range and help, as the
// detectors' are (detect/detect_settings.h).
#pragma once

#include <filesystem>
#include <string>

#include "tint/colourize/colourizer.h"
#include "tint/core/settings.h"

namespace tint::colourize {

// Which model colourizes: a `tint train` run directory, a checkpoint file, or a shipped model by name (the first row
// of pretrained_colourizers() by default).
struct ColourizerChoice {
  std::string run, checkpoint;
  std::string pretrained = pretrained_default();

  static std::string pretrained_default();
};

// --run, --checkpoint, --pretrained. Which of them exclude which is the command's to bind (a given --pretrained beside
// --run cannot be told from the default here); colourizer_checkpoint() takes --checkpoint, else --run, else the
// shipped model.
const SettingsTable<ColourizerChoice>& colourizer_choice_settings();

// The checkpoint `choice` names: --checkpoint as given; --run's checkpoint.pt (a directory of another kind refused,
// naming --run); else the shipped model's file in `pretrained_dir`. --run and --checkpoint together: tint::Error.
std::filesystem::path colourizer_checkpoint(const ColourizerChoice& choice,
                                            const std::filesystem::path& pretrained_dir);

// --size (0..4096: the shorter side at which the network runs; 0 = the image's own), --raw, --side-by-side,
// --upsample (bilinear|guided), --guide-radius (0..16), --guide-eps (> 0).
const SettingsTable<ColourizeOptions>& colourize_settings();

}  // namespace tint::colourize
