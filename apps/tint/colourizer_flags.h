// --run, --checkpoint and --pretrained for the commands that use a trained colourizer (colourize, evaluate --images):
// the rows of colourize::colourizer_choice_settings(), one of them given, and the colourizer they name.
#pragma once

#include <filesystem>
#include <optional>

#include <CLI/CLI.hpp>

#include "tint/colourize/colourize_settings.h"
#include "tint/colourize/colourizer.h"

namespace tint::cli {

// `run_help` replaces --run's help where the command reads more of the run than its model.
void add_colourizer_flags(CLI::App& cmd, colourize::ColourizerChoice& choice, const std::string& run_help = "");

// The checkpoint the choice names (the shipped ones from the installed or source tree).
std::filesystem::path chosen_checkpoint(const colourize::ColourizerChoice& choice);

// The chosen model (the shipped ones from the installed or source tree), decoding as `decoding` says when given;
// --decode / --temperature with a palette model is refused before any image is read.
colourize::Colourizer chosen_colourizer(const colourize::ColourizerChoice& choice,
                                        const std::optional<data::AbDecoding>& decoding);

// The working size: --size as given on `cmd`, else the side the model learned its colours at
// (Colourizer::training_side: 32 for CIFAR-10 models, a photo run's --photo-side).
int working_side(const CLI::App& cmd, const colourize::Colourizer& colourizer, int given);

}  // namespace tint::cli
