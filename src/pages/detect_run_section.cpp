#include "detect_run_section.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "page_parts.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/markup_escape.h"
#include "tint/data/detection_labels.h"
#include "tint/report/html.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"
#include "tint/runs/run_kind.h"

namespace tint::pages {
namespace fs = std::filesystem;
using detect::DetectEpoch;

namespace {

std::string json_value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The first row with the highest value (row 0 when training never beat the starting model).
size_t best_detect_row(const std::vector<DetectEpoch>& rows, double DetectEpoch::*field) {
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].*field > rows[best].*field) best = i;
  }
  return best;
}

double detect_seconds(const DetectRunData& run) {
  double s = 0.0;
  for (const auto& m : run.metrics) s += m.seconds;
  return s;
}

bool trained(const DetectRunData& run) { return run.metrics.size() > 1; }

std::string detect_epochs_text(const DetectRunData& run) {
  const int done = run.metrics.back().epoch;
  return done == run.config.epochs ? std::to_string(done) : fmt::format("{} of {}", done, run.config.epochs);
}

// Empty cfg and weights mean the model `tint detect train` ships and starts from by default.
std::string model_text(const detect::FineTuneConfig& c) {
  return c.cfg.empty() ? "Yolo-Fastest 1.1 (default)" : c.cfg.stem().string();
}

std::string classes_text(const std::vector<std::string>& classes) {
  constexpr size_t kShown = 6;
  std::string names;
  for (size_t i = 0; i < std::min(classes.size(), kShown); ++i) names += (i ? ", " : "") + classes[i];
  if (classes.size() > kShown) names += ", ...";
  return fmt::format("{}: {}", classes.size(), names);
}

// The settings that tell fine-tuning runs apart, in the order of `tint detect train --help`.
std::vector<std::pair<std::string, std::string>> key_settings(const DetectRunData& run) {
  const auto& c = run.config;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("data", c.data);
  if (!c.train_images.empty()) rows.emplace_back("training images", c.train_images.string());
  if (!c.val_data.empty()) rows.emplace_back("validation data", c.val_data);
  if (!c.val_images.empty()) rows.emplace_back("validation images", c.val_images.string());
  rows.emplace_back("cfg", c.cfg.empty() ? "Yolo-Fastest 1.1, shipped with tint (default)" : c.cfg.string());
  rows.emplace_back("weights", c.weights.empty() ? "its COCO-pretrained weights (default)" : c.weights.string());
  if (!run.classes.empty()) rows.emplace_back("classes", classes_text(run.classes));
  rows.emplace_back("freeze", std::to_string(c.freeze));
  rows.emplace_back("epochs", std::to_string(c.epochs));
  rows.emplace_back("batch size", std::to_string(c.batch_size));
  rows.emplace_back("optimizer", c.optimizer == "sgd" ? fmt::format("sgd (momentum {})", c.momentum) : c.optimizer);
  rows.emplace_back("learning rate", fmt::format("{}", c.learning_rate));
  rows.emplace_back("warm-up epochs", fmt::format("{}", c.warmup_epochs));
  rows.emplace_back("input size", c.size > 0 ? std::to_string(c.size) : "the cfg's");
  return rows;
}

std::string map_row(const std::string& label, const DetectEpoch& e) {
  return fmt::format(
      "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
      escape_markup(label), e.epoch, acc_text(e.map50), acc_text(e.map50_95), acc_text(e.precision),
      acc_text(e.recall));
}

std::string loss_cell(double v) { return std::isnan(v) ? "&mdash;" : loss_text(v); }

// Every detection run's validation mAP per epoch, one plot per metric, drawn in a scratch folder and inlined.
std::string detect_map_plots(const std::vector<DetectRunData>& runs, std::vector<std::string>& warnings) {
  ScratchDir scratch;
  std::vector<std::string> columns{"epoch"};
  int last_epoch = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    columns.push_back(fmt::format("run{}", i + 1));  // plain names for gnuplot; titles carry the run names
    last_epoch = std::max(last_epoch, runs[i].metrics.back().epoch);
  }
  std::string h = "<div class=\"pair\">\n";
  for (auto [field, csv, title] : {std::tuple{&DetectEpoch::map50, "map50.csv", "mAP@0.5"},
                                   std::tuple{&DetectEpoch::map50_95, "map50_95.csv", "mAP@0.5:0.95"}}) {
    report::Table table(columns);
    for (int e = 0; e <= last_epoch; ++e) {
      std::vector<std::string> row{std::to_string(e)};
      for (const auto& run : runs) {
        row.push_back(static_cast<size_t>(e) < run.metrics.size() ? fmt::format("{:.10g}", run.metrics[e].*field) : "");
      }
      table.add_text_row(row);
    }
    table.save(scratch.path() / csv);
    // Labels are drawn in gnuplot's enhanced mode, where '@' and '_' are markup: the metric goes in the title.
    report::LinePlot plot{fmt::format("Validation {} of every detection run (epoch 0: before training)", title),
                          "epoch", "validation mAP (%)"};
    plot.width = 760;
    plot.height = 500;
    for (size_t i = 0; i < runs.size(); ++i) {
      plot.series.push_back({csv, "epoch", columns[i + 1], runs[i].name, false, "linespoints"});
    }
    const fs::path png = scratch.path() / (fs::path(csv).stem().string() + ".png");
    try {
      report::plot_lines(png, plot);
    } catch (const Error& e) {
      warnings.push_back(fmt::format("comparison plot 'Validation {}' left out: {}", title, e.what()));
      h += fmt::format("<p class=\"missing\">Validation {} plot not drawn: {}</p>\n", escape_markup(title),
                       escape_markup(e.what()));
      continue;
    }
    h += figure(png, fmt::format("Validation {} per epoch, one line per detection run", title), "curve", warnings);
  }
  return h + "</div>\n";
}

// evaluation.json as fine-tuning writes it (evaluation_json and "epoch"); null sizes read as NaN.
DetectRunEvaluation read_run_evaluation(const fs::path& path) {
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    const auto number = [&](const char* key) {
      const auto& v = j.at(key);
      return v.is_null() ? std::nan("") : v.get<double>();
    };
    DetectRunEvaluation e;
    e.epoch = j.at("epoch").get<int>();
    e.ap_small = number("ap_small");
    e.ap_medium = number("ap_medium");
    e.ap_large = number("ap_large");
    e.ar1 = number("ar1");
    e.ar10 = number("ar10");
    e.ar100 = number("ar100");
    e.conf = number("conf");
    e.precision = number("precision");
    e.recall = number("recall");
    e.f1 = number("f1");
    e.true_positives = j.at("true_positives").get<int64_t>();
    e.false_positives = j.at("false_positives").get<int64_t>();
    e.false_negatives = j.at("false_negatives").get<int64_t>();
    return e;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a detection run's evaluation ({})", path.string(), e.what()));
  }
}

// A fraction in % for the page, a dash for NaN (no truth of that size).
std::string percent_or_dash(double v) { return std::isnan(v) ? "&mdash;" : acc_text(100 * v); }

// The latest validation beyond mAP: COCO's AP by size and AR, the counts at conf, and the confusion matrix.
std::string evaluation_section(const DetectRunData& run, std::vector<std::string>& warnings) {
  if (!run.evaluation) return "";
  const auto& e = *run.evaluation;
  std::string h = fmt::format(
      "<h3>Validation after epoch {}: object sizes, recall, confusion</h3>\n<p class=\"note\">From evaluation.json "
      "(in %): COCO's AP@0.5:0.95 for small (box area up to 32&sup2; pixels), medium and large objects, AR with at "
      "most 1, 10 and 100 detections per image and class; precision, recall, F1 and the counts at confidence {:g}, "
      "IoU 0.5 (docs/detection.md).</p>\n<table class=\"detect-coco\">\n<tr><th>AP small</th><th>AP medium</th>"
      "<th>AP large</th><th>AR@1</th><th>AR@10</th><th>AR@100</th><th>precision</th><th>recall</th><th>F1</th>"
      "<th>TP</th><th>FP</th><th>FN</th></tr>\n",
      e.epoch, e.conf);
  h += "<tr>";
  for (double v : {e.ap_small, e.ap_medium, e.ap_large, e.ar1, e.ar10, e.ar100, e.precision, e.recall, e.f1})
    h += fmt::format("<td class=\"num\">{}</td>", percent_or_dash(v));
  h += fmt::format("<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n</table>\n",
                   e.true_positives, e.false_positives, e.false_negatives);
  h += figure(run.dir / detect::kRunConfusionMatrix,
              fmt::format("Confusion matrix after epoch {}: true class down, predicted across, background last (the "
                          "last column: missed objects; the last row: false detections); colour: share of the row",
                          e.epoch),
              "confusion", warnings);
  return h;
}

}  // namespace

DetectRunData read_detect_run(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (const char* file : {detect::run_files::kConfig, detect::run_files::kMetrics}) {
    if (!fs::is_regular_file(dir / file, ec)) {
      throw Error(fmt::format("{}: not a detection run directory (no {}); give folders written by tint detect train",
                              dir.string(), file));
    }
  }
  DetectRunData run;
  run.dir = dir;
  run.name = name;
  const nlohmann::json json = runs::read_config(dir, runs::RunKind::detection);
  run.config = detect::fine_tune_config_from_json(json, (dir / detect::run_files::kConfig).string());
  for (const auto& item : json.items()) run.config_entries.emplace_back(item.key(), json_value_text(item.value()));
  const fs::path metrics_path = dir / detect::run_files::kMetrics;
  run.metrics = detect::read_detect_metrics(metrics_path);
  detect::check_detect_metrics(metrics_path, run.metrics);
  if (fs::is_regular_file(dir / detect::run_files::kNames, ec)) {
    run.classes = data::read_names(dir / detect::run_files::kNames);
  }
  const fs::path evaluation = dir / detect::kRunEvaluation;
  if (fs::is_regular_file(evaluation, ec)) run.evaluation = read_run_evaluation(evaluation);
  return run;
}

std::string render_detect_run(const DetectRunData& run, const std::string& anchor, std::vector<std::string>& warnings) {
  const auto& before = run.metrics.front();
  const auto& last = run.metrics.back();
  const size_t best50 = best_detect_row(run.metrics, &DetectEpoch::map50);
  const size_t best50_95 = best_detect_row(run.metrics, &DetectEpoch::map50_95);
  std::string h = fmt::format(
      "<section class=\"run detect\" id=\"{}\">\n<h2>Detection run: {}</h2>\n"
      "<p class=\"path\">{}</p>\n",
      anchor, escape_markup(run.name), escape_markup(run.dir.string()));
  if (run.classes.empty()) {
    warnings.push_back(
        fmt::format("{}: missing, its classes left out of the report", (run.dir / detect::run_files::kNames).string()));
  }
  if (!trained(run)) {
    warnings.push_back(fmt::format("{}: no epoch finished yet (metrics.csv holds epoch 0 only)", run.dir.string()));
  }

  h += "<div class=\"finals\">";
  if (trained(run)) {
    h += final_box(fmt::format("mAP@0.5 after epoch {}", last.epoch), acc_text(last.map50) + " %", true);
    h += final_box(fmt::format("mAP@0.5:0.95 after epoch {}", last.epoch), acc_text(last.map50_95) + " %", true);
  }
  h += final_box("mAP@0.5 before training", acc_text(before.map50) + " %");
  h += final_box("mAP@0.5:0.95 before training", acc_text(before.map50_95) + " %");
  h += final_box(fmt::format("best mAP@0.5 (epoch {})", run.metrics[best50].epoch),
                 acc_text(run.metrics[best50].map50) + " %");
  h += final_box("epochs", detect_epochs_text(run));
  h += final_box("total time", seconds_text(detect_seconds(run)) + " s");
  h += "</div>\n";

  h += "<div class=\"cols\">\n<div>\n";
  if (trained(run)) {
    h += figure(run.dir / detect::run_files::kTrainingCurve,
                "Training curve: box, objectness and class loss (left axis), validation mAP@0.5 and mAP@0.5:0.95 "
                "(right axis)",
                "curve", warnings);
  } else {
    h += "<p class=\"missing\">No training curve yet: no epoch finished.</p>\n";
  }
  h += "</div>\n<div>\n<h3>Settings</h3>\n<table class=\"detect-settings\">\n<tr><th>setting</th><th>value</th></tr>\n";
  for (const auto& [key, value] : key_settings(run)) {
    h += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escape_markup(key), escape_markup(value));
  }
  h += "</table>\n<details>\n<summary>Every setting (config.json)</summary>\n<table class=\"config\">\n"
       "<tr><th>setting</th><th>value</th></tr>\n";
  for (const auto& [key, value] : run.config_entries) {
    h += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escape_markup(key), escape_markup(value));
  }
  h += "</table>\n</details>\n</div>\n</div>\n";

  h += "<h3>mAP before and after fine-tuning</h3>\n<p class=\"note\">On the validation images, from metrics.csv "
       "(in %): epoch 0 is the starting model before any training; precision and recall at confidence 0.25.</p>\n"
       "<table class=\"detect-map\">\n<tr><th>model</th><th>epoch</th><th>mAP@0.5</th><th>mAP@0.5:0.95</th>"
       "<th>precision</th><th>recall</th></tr>\n";
  h += map_row("before training", before);
  if (trained(run)) {
    h += map_row("after the last epoch", last);
    h += map_row("best mAP@0.5", run.metrics[best50]);
    if (best50_95 != best50) h += map_row("best mAP@0.5:0.95", run.metrics[best50_95]);
  }
  h += "</table>\n";
  h += evaluation_section(run, warnings);

  // One above the other at full width: each is a row of several images at the network's input size.
  h += "<h3>Predictions on the validation images</h3>\n<p class=\"note\">The first validation images at the "
       "network's input size, with what the model finds at confidence 0.25.</p>\n<div>\n";
  h += figure(run.dir / detect::run_files::predictions(0), "before training (epoch 0)", "predictions", warnings);
  if (trained(run)) {
    h += figure(run.dir / detect::run_files::predictions(last.epoch), fmt::format("after epoch {} (last)", last.epoch),
                "predictions", warnings);
  }
  h += "</div>\n";

  h += "<h3>Metrics</h3>\n<p class=\"note\">From metrics.csv: mean training losses per image over the epoch's "
       "batches, validation numbers in %. Highlighted: the highest mAP@0.5 and mAP@0.5:0.95; the last row is the "
       "final epoch.</p>\n<table class=\"detect-metrics\">\n<tr><th>epoch</th><th>box loss</th><th>obj. loss</th>"
       "<th>class loss</th><th>train loss</th><th>mAP@0.5</th><th>mAP@0.5:0.95</th><th>precision</th>"
       "<th>recall</th><th>seconds</th></tr>\n";
  for (size_t i = 0; i < run.metrics.size(); ++i) {
    const auto& m = run.metrics[i];
    h += fmt::format(
        "<tr{}><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        i + 1 == run.metrics.size() && i > 0 ? " class=\"final\"" : "", m.epoch, loss_cell(m.box_loss),
        loss_cell(m.objectness_loss), loss_cell(m.class_loss), loss_cell(m.train_loss), i == best50 ? " best" : "",
        acc_text(m.map50), i == best50_95 ? " best" : "", acc_text(m.map50_95), acc_text(m.precision),
        acc_text(m.recall), seconds_text(m.seconds));
  }
  h += "</table>\n</section>\n";
  return h;
}

std::string render_detect_comparison(const std::vector<DetectRunData>& runs, const std::vector<std::string>& anchors,
                                     std::vector<std::string>& warnings) {
  std::string h =
      "<p class=\"note\">Validation mAP (%) of each detection run before training (epoch 0) and after "
      "its last epoch; best epoch: the highest mAP@0.5. Highlighted: the highest final mAP.</p>\n"
      "<table class=\"detect-comparison\">\n<tr><th>run</th><th>data</th><th>model</th><th>freeze</th>"
      "<th>epochs</th><th>batch size</th><th>mAP@0.5 before</th><th>mAP@0.5 after</th>"
      "<th>mAP@0.5:0.95 before</th><th>mAP@0.5:0.95 after</th><th>best epoch</th>"
      "<th>total seconds</th></tr>\n";
  // Only runs with a trained epoch compete for the highlight, and only when there are two runs or more.
  std::optional<size_t> best50, best50_95;
  for (size_t i = 0; i < runs.size() && runs.size() >= 2; ++i) {
    if (!trained(runs[i])) continue;
    const auto& last = runs[i].metrics.back();
    if (!best50 || last.map50 > runs[*best50].metrics.back().map50) best50 = i;
    if (!best50_95 || last.map50_95 > runs[*best50_95].metrics.back().map50_95) best50_95 = i;
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& before = r.metrics.front();
    const auto& last = r.metrics.back();
    const bool done = trained(r);
    h += fmt::format(
        "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        anchors[i], escape_markup(r.name), escape_markup(folder_name(r.config.data)),
        escape_markup(model_text(r.config)), r.config.freeze, last.epoch, r.config.batch_size, acc_text(before.map50),
        best50 == i ? " best" : "", done ? acc_text(last.map50) : "&mdash;", acc_text(before.map50_95),
        best50_95 == i ? " best" : "", done ? acc_text(last.map50_95) : "&mdash;",
        r.metrics[best_detect_row(r.metrics, &DetectEpoch::map50)].epoch, seconds_text(detect_seconds(r)));
  }
  h += "</table>\n";
  if (runs.size() >= 2) h += detect_map_plots(runs, warnings);
  return h;
}

}  // namespace tint::pages
