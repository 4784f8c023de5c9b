#include "tint/detect/run_metrics.h"

#include <cmath>
#include <limits>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/whole_number.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"
#include "tint/runs/run_files.h"
#include "tint/runs/run_loop.h"

namespace tint::detect {
namespace fs = std::filesystem;
namespace files = runs::detection_files;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> header() {
  std::vector<std::string> names{"epoch"};
  for (const auto& c : detect_metric_columns()) names.push_back(c.name);
  return names;
}

std::vector<double> to_row(const DetectEpoch& e) {
  std::vector<double> row{double(e.epoch)};
  for (const auto& c : detect_metric_columns()) row.push_back(e.*c.field);
  return row;
}

// A row of the columns' numbers; its epoch v[0] converted by the caller, who checks it first (whole_int).
DetectEpoch from_row(int epoch, const std::vector<double>& v) {
  DetectEpoch e;
  e.epoch = epoch;
  const auto& columns = detect_metric_columns();
  for (size_t k = 0; k < columns.size(); ++k) e.*columns[k].field = v[k + 1];
  return e;
}

}  // namespace

const std::vector<DetectColumn>& detect_metric_columns() {
  static const std::vector<DetectColumn> columns = {
      {"box_loss", &DetectEpoch::box_loss, true},    {"obj_loss", &DetectEpoch::objectness_loss, true},
      {"cls_loss", &DetectEpoch::class_loss, true},  {"train_loss", &DetectEpoch::train_loss, true},
      {"map50", &DetectEpoch::map50, false},         {"map50_95", &DetectEpoch::map50_95, false},
      {"precision", &DetectEpoch::precision, false}, {"recall", &DetectEpoch::recall, false},
      {"seconds", &DetectEpoch::seconds, false}};
  return columns;
}

void write_detect_metrics(const fs::path& dir, const std::vector<DetectEpoch>& history,
                          const std::function<void(const std::string&)>& warn) {
  report::Table table(header());
  for (const auto& e : history) table.add_row(to_row(e));
  table.save(dir / files::kMetrics);
  if (history.size() < 2) return;  // row 0 alone has no losses to draw
  report::LinePlot plot{"Fine-tuning", "epoch", "loss (per image)", "validation mAP (%)"};
  plot.series = {{files::kMetrics, "epoch", "box_loss", "box loss", false, "linespoints"},
                 {files::kMetrics, "epoch", "obj_loss", "objectness loss", false, "linespoints"},
                 {files::kMetrics, "epoch", "cls_loss", "class loss", false, "linespoints"},
                 {files::kMetrics, "epoch", "map50", "mAP@0.5", true, "linespoints"},
                 {files::kMetrics, "epoch", "map50_95", "mAP@0.5:0.95", true, "linespoints"}};
  runs::write_curve(dir, plot, warn);
}

std::vector<DetectEpoch> read_detect_metrics(const fs::path& path) {
  const auto columns = header();
  const auto rows = report::parse_csv(read_file(path));
  if (rows.empty() || rows[0] != columns)
    throw Error(fmt::format("{}: not a detection metrics.csv (expected the columns {})", path.string(),
                            fmt::join(columns, ",")));
  std::vector<DetectEpoch> history;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != columns.size())
      throw Error(fmt::format("{}:{}: expected {} cells", path.string(), r + 1, columns.size()));
    std::vector<double> v;
    for (const auto& cell : rows[r]) {
      try {
        size_t used = 0;
        v.push_back(std::stod(cell, &used));
        if (used != cell.size()) throw std::invalid_argument(cell);
      } catch (const std::exception&) {
        throw Error(fmt::format("{}:{}: '{}' is not a number", path.string(), r + 1, cell));
      }
    }
    // Casting 1e10 (or nan) to int is undefined behaviour: the epoch is checked first (core/whole_number.h).
    const auto epoch = whole_int(v[0], 0);
    if (!epoch) {
      throw Error(fmt::format("{}:{}: column 'epoch' holds '{}', not an epoch number (0, 1, ...)", path.string(), r + 1,
                              rows[r][0]));
    }
    history.push_back(from_row(*epoch, v));
  }
  return history;
}

void check_detect_metrics(const fs::path& path, const std::vector<DetectEpoch>& rows) {
  if (rows.empty()) {
    throw Error(fmt::format("{}: no rows (expected epoch 0, the model before training, then one row per epoch)",
                            path.string()));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t line = i + 2;  // line 1 is the header
    if (rows[i].epoch != static_cast<int>(i)) {
      throw Error(
          fmt::format("{}:{}: epoch {}, expected {} (rows run from epoch 0, the model before training, one "
                      "per epoch)",
                      path.string(), line, rows[i].epoch, i));
    }
    for (const auto& column : detect_metric_columns()) {
      if (i == 0 && column.loss) continue;
      if (!std::isfinite(rows[i].*column.field)) {
        throw Error(fmt::format("{}:{}: column '{}' holds {}, expected a number", path.string(), line, column.name,
                                rows[i].*column.field));
      }
    }
  }
}

nlohmann::json detect_history_to_json(const std::vector<DetectEpoch>& history) {
  auto list = nlohmann::json::array();
  for (const auto& e : history) {
    auto row = nlohmann::json::array();
    for (double v : to_row(e)) row.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    list.push_back(row);
  }
  return list;
}

std::vector<DetectEpoch> detect_history_from_json(const nlohmann::json& json) {
  std::vector<DetectEpoch> history;
  for (const auto& row : json) {
    std::vector<double> v;
    for (const auto& cell : row) v.push_back(cell.is_null() ? kNaN : cell.get<double>());
    if (v.size() != detect_metric_columns().size() + 1) throw Error("a history row of the wrong length");
    // Epochs run from 0 (the model before training); the JSON holds them as reals (detect_history_to_json).
    const auto epoch = whole_int(v[0], 0);
    if (!epoch) throw Error(fmt::format("a history row's epoch is {}, expected a whole number from 0", v[0]));
    history.push_back(from_row(*epoch, v));
  }
  return history;
}

}  // namespace tint::detect
