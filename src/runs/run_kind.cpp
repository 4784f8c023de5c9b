#include "tint/runs/run_kind.h"

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/runs/run_files.h"

namespace tint::runs {
namespace fs = std::filesystem;

namespace {

constexpr const char* kKindKey = "kind";

struct KindRow {
  RunKind kind;
  const char* name;
  const char* command;
  const char* reader;  // the flag that uses such a run
};
constexpr KindRow kKinds[] = {
    {RunKind::colourization, "colourization", "tint train", "tint colourize --run / tint evaluate --run"},
    {RunKind::detection, "detection", "tint detect train", "tint detect --run"},
};

const KindRow& row_of(RunKind kind) {
  for (const auto& row : kKinds)
    if (row.kind == kind) return row;
  throw Error("unknown run kind");  // unreachable: every enumerator has a row
}

nlohmann::json parse_config(const fs::path& path) {
  try {
    auto json = nlohmann::json::parse(read_file(path));
    if (!json.is_object()) throw Error(fmt::format("{}: expected a JSON object of settings", path.string()));
    return json;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

RunKind kind_in(const nlohmann::json& config, const fs::path& dir, const fs::path& path) {
  if (!config.contains(kKindKey)) {
    // Written before config.json named its kind: only detection runs hold a darknet model.
    std::error_code ec;
    return fs::is_regular_file(dir / detection_files::kCfg, ec) ? RunKind::detection : RunKind::colourization;
  }
  const auto& value = config[kKindKey];
  if (value.is_string()) {
    for (const auto& row : kKinds)
      if (value.get<std::string>() == row.name) return row.kind;
  }
  throw Error(
      fmt::format("{}: \"kind\" is {}, expected \"colourization\" or \"detection\"", path.string(), value.dump()));
}

}  // namespace

const char* kind_name(RunKind kind) { return row_of(kind).name; }
const char* kind_command(RunKind kind) { return row_of(kind).command; }

std::optional<RunKind> kind_of(const fs::path& dir) {
  std::error_code ec;
  const fs::path path = dir / common_files::kConfig;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  return kind_in(parse_config(path), dir, path);
}

bool is_sweep_dir(const fs::path& dir) {
  std::error_code ec;
  return !fs::is_regular_file(dir / common_files::kConfig, ec) && fs::is_regular_file(dir / sweep_files::kSummary, ec);
}

void write_config(const fs::path& dir, RunKind kind, nlohmann::json settings) {
  settings[kKindKey] = kind_name(kind);
  write_file_atomic(dir / common_files::kConfig, settings.dump(2) + "\n");
}

nlohmann::json read_config(const fs::path& dir, RunKind expected) {
  const fs::path path = dir / common_files::kConfig;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(fmt::format("{}: no such file", path.string()));
  auto config = parse_config(path);
  const RunKind kind = kind_in(config, dir, path);
  if (kind != expected) {
    throw Error(fmt::format("{} is a {} run (written by {}), not a {} run: use it with {}", dir.string(),
                            kind_name(kind), kind_command(kind), kind_name(expected), row_of(kind).reader));
  }
  config.erase(kKindKey);
  return config;
}

void expect_kind(const fs::path& dir, RunKind expected, const std::string& flag) {
  const auto kind = kind_of(dir);
  if (kind && *kind != expected) {
    throw Error(fmt::format("{} {}: a {} run (written by {}), not a {} run: use it with {}", flag, dir.string(),
                            kind_name(*kind), kind_command(*kind), kind_name(expected), row_of(*kind).reader));
  }
}

}  // namespace tint::runs
