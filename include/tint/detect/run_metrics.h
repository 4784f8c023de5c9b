// metrics.csv of a detection run (`tint detect train`): one column table, used by fine-tuning to write it and by
// the report (pages/) to read it back, and the same rows as JSON inside the checkpoint.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tint::detect {

// One row of metrics.csv. Row 0 is the starting model before any training: its validation numbers, and NaN losses
// (written "nan"; gnuplot leaves them out).
struct DetectEpoch {
  int epoch = 0;
  double box_loss = 0, objectness_loss = 0, class_loss = 0, train_loss = 0;  // means over the epoch's batches
  double map50 = 0, map50_95 = 0, precision = 0, recall = 0;                 // on the validation images
  double seconds = 0;
};

// A column of metrics.csv after `epoch`: its name, its field, and whether it is a training loss (NaN in row 0).
struct DetectColumn {
  const char* name;
  double DetectEpoch::*field;
  bool loss;
};
// In file order: box_loss, obj_loss, cls_loss, train_loss, map50, map50_95, precision, recall, seconds.
const std::vector<DetectColumn>& detect_metric_columns();

// metrics.csv and the training curve (losses and mAP per epoch; drawn from two rows on). `warn` receives a missing
// plotter's error.
void write_detect_metrics(const std::filesystem::path& dir, const std::vector<DetectEpoch>& history,
                          const std::function<void(const std::string&)>& warn);

// metrics.csv as write_detect_metrics writes it. Throws tint::Error naming the file (and line) for other columns,
// cells that are not numbers, or an epoch that is not a whole number from 0.
std::vector<DetectEpoch> read_detect_metrics(const std::filesystem::path& path);

// What a reader of a whole run also requires (the report): at least one row, rows 0, 1, 2, ... in order, and numbers
// in every cell but row 0's losses. Throws tint::Error naming the file and line.
void check_detect_metrics(const std::filesystem::path& path, const std::vector<DetectEpoch>& rows);

// The history inside a checkpoint: one array per row, NaN as null (JSON has no NaN).
nlohmann::json detect_history_to_json(const std::vector<DetectEpoch>& history);
std::vector<DetectEpoch> detect_history_from_json(const nlohmann::json& json);

}  // namespace tint::detect
