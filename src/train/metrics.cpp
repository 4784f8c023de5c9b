#include "tint/train/metrics.h"

#include <algorithm>

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace tint::train {

report::Table metrics_table(const std::vector<EpochMetrics>& history) {
  report::Table t({"epoch", "train_loss", "val_loss", "val_acc", "seconds"});
  for (const auto& m : history) t.add_row({double(m.epoch), m.train_loss, m.val_loss, m.val_acc, m.seconds});
  return t;
}

report::Table per_epoch_table(const std::vector<NamedHistory>& runs, double EpochMetrics::*field) {
  std::vector<std::string> columns{"epoch"};
  int epochs = 0;
  for (const auto& [name, history] : runs) {
    columns.push_back(name);
    for (const auto& m : history) epochs = std::max(epochs, m.epoch);
  }
  report::Table t(columns);
  for (int e = 1; e <= epochs; ++e) {
    std::vector<std::string> row{std::to_string(e)};
    for (const auto& [name, history] : runs) {
      auto it = std::find_if(history.begin(), history.end(), [e](const EpochMetrics& m) { return m.epoch == e; });
      row.push_back(it == history.end() ? "" : fmt::format("{:.10g}", (*it).*field));
    }
    t.add_text_row(row);
  }
  return t;
}

nlohmann::json history_to_json(const std::vector<EpochMetrics>& history) {
  auto rows = nlohmann::json::array();
  for (const auto& m : history) rows.push_back({m.epoch, m.train_loss, m.val_loss, m.val_acc, m.seconds});
  return rows;
}

std::vector<EpochMetrics> history_from_json(const nlohmann::json& json) {
  std::vector<EpochMetrics> history;
  for (const auto& r : json) {
    history.push_back({r.at(0).get<int>(), r.at(1).get<double>(), r.at(2).get<double>(), r.at(3).get<double>(),
                       r.at(4).get<double>()});
  }
  return history;
}

}  // namespace tint::train
