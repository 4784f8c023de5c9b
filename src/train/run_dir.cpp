#include "tint/train/run_dir.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/whole_number.h"
#include "tint/report/table.h"
#include "tint/runs/run_kind.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {

double parse_number(const std::string& text, const fs::path& file, size_t line, const std::string& column) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {}
  throw Error(fmt::format("{}:{}: column '{}' holds '{}', not a number", file.string(), line, column, text));
}

// An epoch number: a whole number from 1 that fits an int (core/whole_number.h: casting 1e10 to int is undefined).
int parse_epoch(const std::string& text, const fs::path& file, size_t line) {
  const auto epoch = whole_int(parse_number(text, file, line, "epoch"), 1);
  if (!epoch) {
    throw Error(
        fmt::format("{}:{}: column 'epoch' holds '{}', not an epoch number (1, 2, ...)", file.string(), line, text));
  }
  return *epoch;
}

std::string json_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

fs::path run_checkpoint(const fs::path& dir, const std::string& flag) {
  runs::expect_kind(dir, runs::RunKind::colourization, flag);
  return dir / run_files::kCheckpoint;
}

bool is_run_dir(const fs::path& dir) { return runs::kind_of(dir) == runs::RunKind::colourization; }

std::vector<EpochMetrics> read_metrics_csv(const fs::path& path) {
  auto rows = report::parse_csv(read_file(path));
  if (rows.empty()) throw Error(fmt::format("{}: empty file (expected a header and one row per epoch)", path.string()));
  const auto& header = rows.front();
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw Error(fmt::format("{}: no '{}' column", path.string(), name));
    return static_cast<size_t>(it - header.begin());
  };
  const size_t epoch = column("epoch"), train_loss = column("train_loss"), val_loss = column("val_loss"),
               val_acc = column("val_acc"), seconds = column("seconds");
  // ab-bins runs' colour scores: all five columns or none.
  const char* colour_names[] = {"val_auc", "val_auc_rebalanced", "val_psnr", "val_colourfulness",
                                "truth_colourfulness"};
  const bool colour = std::find(header.begin(), header.end(), colour_names[0]) != header.end();
  std::vector<size_t> colour_columns;
  if (colour) {
    for (const char* name : colour_names) colour_columns.push_back(column(name));
  }
  std::vector<EpochMetrics> metrics;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != header.size()) {
      throw Error(fmt::format("{}:{}: {} cells, expected {}", path.string(), r + 1, row.size(), header.size()));
    }
    auto number = [&](size_t c) { return parse_number(row[c], path, r + 1, header[c]); };
    EpochMetrics m;
    m.epoch = parse_epoch(row[epoch], path, r + 1);
    m.train_loss = number(train_loss);
    m.val_loss = number(val_loss);
    m.val_acc = number(val_acc);
    m.seconds = number(seconds);
    if (colour) {
      m.colour = ColourScores{number(colour_columns[0]), number(colour_columns[1]), number(colour_columns[2]),
                              number(colour_columns[3]), number(colour_columns[4])};
    }
    metrics.push_back(m);
  }
  if (metrics.empty()) throw Error(fmt::format("{}: no epochs recorded yet", path.string()));
  return metrics;
}

RunData read_run(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("{}: no such directory", dir.string()));
  for (const char* file : {run_files::kConfig, run_files::kMetrics}) {
    if (!fs::is_regular_file(dir / file, ec)) {
      throw Error(fmt::format("{}: not a run directory (no {}); give folders written by tint train, sweep or compare",
                              dir.string(), file));
    }
  }
  RunData run;
  run.dir = dir;
  run.name = name;
  const fs::path config_path = dir / run_files::kConfig;
  const nlohmann::json json = runs::read_config(dir, runs::RunKind::colourization);
  run.config = config_from_json(json, config_path.string());
  for (const auto& item : json.items()) run.config_entries.emplace_back(item.key(), json_text(item.value()));
  run.metrics = read_metrics_csv(dir / run_files::kMetrics);
  // Epochs are ints: a name with more digits, or a number past int (std::stoi threw std::out_of_range on it), is no
  // sample of this run's and is left out.
  static const std::regex kSample(R"(samples_epoch_(\d{1,10})\.png)");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch match;
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(file, match, kSample)) {
      const long long epoch = std::stoll(match[1].str());
      if (epoch <= std::numeric_limits<int>::max()) run.samples.emplace_back(static_cast<int>(epoch), entry.path());
    }
  }
  std::sort(run.samples.begin(), run.samples.end());
  return run;
}

}  // namespace tint::train
