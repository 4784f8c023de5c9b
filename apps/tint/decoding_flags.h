// --decode and --temperature for the commands that decode a trained ab-bins model's predictions (evaluate,
// colourize): the training table's own rows (same choices, ranges and messages), whose default is the run's.
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

#include "settings_flags.h"
#include "tint/data/ab_bins.h"
#include "tint/train/config.h"

namespace tint::cli {

inline const SettingsTable<train::TrainConfig>& decoding_settings() {
  static const SettingsTable<train::TrainConfig> rows{*find_setting(train::train_settings(), "decode"),
                                                      *find_setting(train::train_settings(), "temperature")};
  return rows;
}

// Binds the two flags into `flags` (the other fields stay unused).
inline void add_decoding_flags(CLI::App& cmd, train::TrainConfig& flags) {
  for (auto* option : add_settings(cmd, decoding_settings(), flags)) option->default_str("the model's own");
}

// The decoding the flags ask for, or nullopt when neither was given (the model's own then). --temperature alone keeps
// the annealed mean.
inline std::optional<data::AbDecoding> decoding_flags(const CLI::App& cmd, const train::TrainConfig& flags) {
  if (cmd.count("--decode") == 0 && cmd.count("--temperature") == 0) return std::nullopt;
  return train::ab_decoding(flags);
}

}  // namespace tint::cli
