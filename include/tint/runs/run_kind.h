// What a run directory is: config.json names its `kind`, written by the run skeleton (runs/run_loop.h) when a run
// starts, so that readers (the report, `--run`, `--resume`) dispatch on it instead of guessing from the files.
// Directories written before tint recorded a kind are told apart as they always were: a detection run holds
// model.cfg beside its config.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace tint::runs {

enum class RunKind { colourization, detection };

// "colourization", "detection": config.json's `kind`.
const char* kind_name(RunKind kind);
// What writes such a run, for messages ("tint train", "tint detect train").
const char* kind_command(RunKind kind);

// The kind of the run in `dir`, or nullopt when `dir` holds no config.json (not a run). Throws tint::Error naming
// config.json when it is not JSON or names an unknown kind.
std::optional<RunKind> kind_of(const std::filesystem::path& dir);

// True for a folder of runs written by tint sweep / compare (summary.csv, no config.json of its own).
bool is_sweep_dir(const std::filesystem::path& dir);

// Writes dir/config.json (atomically): `settings` (an object) and "kind".
void write_config(const std::filesystem::path& dir, RunKind kind, nlohmann::json settings);

// dir/config.json's settings, without "kind". Throws tint::Error naming the file when it is missing or not JSON, and
// naming the directory and the command that reads it when the run is of another kind than `expected`.
nlohmann::json read_config(const std::filesystem::path& dir, RunKind expected);

// Throws tint::Error when `dir` holds a run of another kind than `expected` (e.g. `tint colourize --run` given a
// detection run), saying which command reads it; nothing when it is of that kind or holds no config.json.
void expect_kind(const std::filesystem::path& dir, RunKind expected, const std::string& flag);

}  // namespace tint::runs
