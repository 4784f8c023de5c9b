#include "tint/train/metrics.h"

#include <algorithm>
#include <limits>

#include <fmt/core.h>

#include <nlohmann/json.hpp>

namespace tint::train {

report::Table metrics_table(const std::vector<EpochMetrics>& history) {
  const bool colour =
      std::any_of(history.begin(), history.end(), [](const EpochMetrics& m) { return m.colour.has_value(); });
  if (!colour) {
    report::Table t({"epoch", "train_loss", "val_loss", "val_acc", "seconds"});
    for (const auto& m : history) t.add_row({double(m.epoch), m.train_loss, m.val_loss, m.val_acc, m.seconds});
    return t;
  }
  // seconds stays the last column (tests compare runs without it).
  report::Table t({"epoch", "train_loss", "val_loss", "val_acc", "val_auc", "val_auc_rebalanced", "val_psnr",
                   "val_colourfulness", "truth_colourfulness", "seconds"});
  for (const auto& m : history) {
    const ColourScores s = m.colour.value_or(ColourScores{});
    t.add_row({double(m.epoch), m.train_loss, m.val_loss, m.val_acc, s.auc, s.auc_rebalanced, s.psnr, s.colourfulness,
               s.truth_colourfulness, m.seconds});
  }
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

// A row is [epoch, train_loss, val_loss, val_acc, seconds], followed for epochs with colour scores by [auc,
// auc_rebalanced, psnr, colourfulness, truth_colourfulness].
nlohmann::json history_to_json(const std::vector<EpochMetrics>& history) {
  auto rows = nlohmann::json::array();
  for (const auto& m : history) {
    nlohmann::json row = {m.epoch, m.train_loss, m.val_loss, m.val_acc, m.seconds};
    if (m.colour) {
      const auto& s = *m.colour;
      for (double v : {s.auc, s.auc_rebalanced, s.psnr, s.colourfulness, s.truth_colourfulness}) row.push_back(v);
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<EpochMetrics> history_from_json(const nlohmann::json& json) {
  std::vector<EpochMetrics> history;
  for (const auto& r : json) {
    // get<int>() converts a JSON real, or an integer past int, without a check (undefined behaviour: 1e300 was found
    // by fuzz/fuzz_checkpoint.cpp): the epoch must be a JSON integer in 1..INT_MAX, as history_to_json writes it.
    // Refused like the reader's other nlohmann errors (a row too short, a string for a number), which callers catch.
    // (nlohmann compares signed and unsigned JSON integers with ints by value.)
    if (!r.is_array() || r.empty() || !r[0].is_number_integer() || r[0] < 1 || r[0] > std::numeric_limits<int>::max()) {
      throw nlohmann::json::type_error::create(
          302,
          fmt::format("history row {} does not start with its epoch, an integer from 1 ({})", history.size() + 1,
                      r.is_array() && !r.empty() ? "it starts with " + r[0].dump() : "it is " + r.dump()),
          &r);
    }
    EpochMetrics m{r.at(0).get<int>(), r.at(1).get<double>(), r.at(2).get<double>(), r.at(3).get<double>(),
                   r.at(4).get<double>()};
    if (r.size() > 5) {
      m.colour = ColourScores{r.at(5).get<double>(), r.at(6).get<double>(), r.at(7).get<double>(),
                              r.at(8).get<double>(), r.at(9).get<double>()};
    }
    history.push_back(m);
  }
  return history;
}

}  // namespace tint::train
