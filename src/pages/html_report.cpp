#include "tint/pages/html_report.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <set>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "detect_run_section.h"
#include "page_parts.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/markup_escape.h"
#include "tint/core/runtime.h"
#include "tint/report/html.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"
#include "tint/runs/run_files.h"
#include "tint/runs/run_kind.h"

namespace tint::pages {
using namespace tint::report;  // the page is built from report's HTML, table and plot primitives
using train::is_run_dir;
using train::read_run;
namespace fs = std::filesystem;

namespace {

double total_seconds(const RunData& run) {
  double s = 0.0;
  for (const auto& m : run.metrics) s += m.seconds;
  return s;
}

size_t best_index(const std::vector<train::EpochMetrics>& metrics, double train::EpochMetrics::*field, bool lowest) {
  size_t best = 0;
  for (size_t i = 1; i < metrics.size(); ++i) {
    if (lowest ? metrics[i].*field < metrics[best].*field : metrics[i].*field > metrics[best].*field) best = i;
  }
  return best;
}

// ---- page parts ----------------------------------------------------------------------------------------------

constexpr const char* kStyle = R"css(
:root { --ink: #1d232b; --muted: #5c6670; --line: #d9dee3; --head: #24425e; --soft: #f4f6f8; --mark: #fff1b8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 20px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; color: var(--head); }
h2 { font-size: 21px; margin: 40px 0 6px; padding-top: 14px; border-top: 2px solid var(--head); color: var(--head); }
h3 { font-size: 16px; margin: 22px 0 8px; }
a { color: #1b5b96; }
.meta, .path, .note, figcaption { color: var(--muted); font-size: 13px; }
.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; margin: 0 0 12px; }
nav ol { margin: 8px 0 0; padding-left: 22px; columns: 2; }
.warnings { background: var(--mark); border: 1px solid #e0c65c; padding: 8px 14px; margin: 16px 0; }
.warnings ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
td.best, tr:nth-child(even) td.best { background: var(--mark); font-weight: 700; }
tr.final td { border-top: 2px solid var(--head); font-weight: 600; }
table.config td:last-child { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
table.detect-settings td:last-child { overflow-wrap: anywhere; }
.finals { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 14px; }
.final { flex: 1 1 0; min-width: 150px; background: var(--soft); border-left: 4px solid var(--head); padding: 6px 12px; }
.final.key { background: var(--mark); border-left-color: #c9a400; }
.final .value { display: block; font-size: 21px; font-weight: 700; font-variant-numeric: tabular-nums; }
.final .label { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.cols { display: grid; grid-template-columns: minmax(0, 5fr) minmax(240px, 2fr); gap: 20px; align-items: start; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; align-items: start; }
figure { margin: 0 0 10px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
img.px, figure.samples img { image-rendering: pixelated; }
.gallery { display: flex; flex-wrap: wrap; gap: 8px 12px; }
.gallery figure { margin: 0; }
details { margin: 4px 0 12px; }
summary { color: var(--muted); font-size: 13px; cursor: pointer; }
.missing { color: #8a1c1c; background: #fdecec; padding: 6px 10px; display: inline-block; }
@media (max-width: 800px) { .cols, .pair { grid-template-columns: 1fr; } }
)css";

struct Section {  // one input: a run, a sweep with its runs, or a detection run
  fs::path dir;
  bool sweep = false;
  std::string name;
  std::vector<std::vector<std::string>> summary;  // sweep only: summary.csv, header first
  std::vector<size_t> runs;                       // indexes into the report's runs
  std::optional<size_t> detect_run;               // index into the report's detection runs
};

std::string run_anchor(size_t i) { return fmt::format("run-{}", i + 1); }
std::string detect_anchor(size_t i) { return fmt::format("detect-run-{}", i + 1); }

// ab-bins runs' colour scores (train::ColourScores): header cells, and a row's cells ("-" where a run has none).
bool has_colour(const std::vector<train::EpochMetrics>& metrics) {
  return std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.colour.has_value(); });
}
const char* kColourHeader =
    "<th>AuC (%)</th><th>rebalanced AuC (%)</th><th>PSNR (dB)</th><th>colourfulness (truth)</th>";
std::string colour_cells(const std::optional<train::ColourScores>& c) {
  if (!c) return "<td class=\"num\">-</td><td class=\"num\">-</td><td class=\"num\">-</td><td class=\"num\">-</td>";
  return fmt::format(
      "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
      "<td class=\"num\">{} ({})</td>",
      acc_text(c->auc), acc_text(c->auc_rebalanced), acc_text(c->psnr), acc_text(c->colourfulness),
      acc_text(c->truth_colourfulness));
}

std::string render_run(const RunData& run, size_t index, int max_sample_epochs, std::vector<std::string>& warnings) {
  std::string h;
  const auto& last = run.metrics.back();
  h += fmt::format("<section class=\"run\" id=\"{}\">\n<h2>Run: {}</h2>\n<p class=\"path\">{}</p>\n", run_anchor(index),
                   escape_markup(run.name), escape_markup(run.dir.string()));
  const size_t best_acc = best_index(run.metrics, &train::EpochMetrics::val_acc, false);
  const std::string epochs = last.epoch == run.config.epochs ? std::to_string(last.epoch)
                                                             : fmt::format("{} of {}", last.epoch, run.config.epochs);
  h += "<div class=\"finals\">";
  h += final_box("final validation accuracy", acc_text(last.val_acc) + " %", true);
  h += final_box("final validation loss", loss_text(last.val_loss), true);
  h += final_box("final training loss", loss_text(last.train_loss));
  h += final_box(fmt::format("best val. accuracy (epoch {})", run.metrics[best_acc].epoch),
                 acc_text(run.metrics[best_acc].val_acc) + " %");
  h += final_box("epochs", epochs);
  h += final_box("total time", seconds_text(total_seconds(run)) + " s");
  if (last.colour) {
    const auto& c = *last.colour;
    h += final_box("final AuC / rebalanced AuC", acc_text(c.auc) + " % / " + acc_text(c.auc_rebalanced) + " %", true);
    h += final_box("final PSNR", acc_text(c.psnr) + " dB");
    h += final_box("final colourfulness (ground truth)",
                   acc_text(c.colourfulness) + " (" + acc_text(c.truth_colourfulness) + ")");
  }
  h += "</div>\n";

  h += "<div class=\"cols\">\n<div>\n";
  h += figure(run.dir / train::run_files::kTrainingCurve,
              "Training curve: training and validation loss (left axis), validation accuracy (right axis)", "curve",
              warnings);
  h += "</div>\n<div>\n<h3>Config</h3>\n<table class=\"config\">\n<tr><th>setting</th><th>value</th></tr>\n";
  for (const auto& [key, value] : run.config_entries) {
    h += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escape_markup(key), escape_markup(value));
  }
  h += "</table>\n</div>\n</div>\n";

  h += "<h3>Sample predictions</h3>\n";
  if (run.samples.empty()) {
    warnings.push_back(fmt::format("{}: no samples_epoch_NN.png, left out of the report", run.dir.string()));
    h += "<p class=\"missing\">No samples_epoch_NN.png in this run.</p>\n";
  } else {
    // Which epochs to show: all, or max_sample_epochs of them spread evenly from the first to the last.
    std::vector<size_t> chosen;
    const size_t n = run.samples.size();
    if (max_sample_epochs <= 0 || n <= static_cast<size_t>(max_sample_epochs)) {
      for (size_t i = 0; i < n; ++i) chosen.push_back(i);
    } else {
      const size_t k = static_cast<size_t>(std::max(max_sample_epochs, 2));
      for (size_t j = 0; j < k; ++j) {
        size_t i = (j * (n - 1) + (k - 1) / 2) / (k - 1);
        if (chosen.empty() || chosen.back() != i) chosen.push_back(i);
      }
    }
    h += fmt::format(
        "<p class=\"note\">Rows: grey network input, ground truth ({}), the network's prediction; on "
        "the first validation images.</p>\n<div class=\"pair\">\n",
        run.config.target == train::ColourTarget::ab_bins ? "the image itself" : "each pixel's nearest palette colour");
    const auto& first = run.samples[chosen.front()];
    const auto& last_sample = run.samples[chosen.back()];
    h += figure(first.second, fmt::format("epoch {} (first)", first.first), "samples", warnings);
    if (chosen.size() > 1) {
      h += figure(last_sample.second, fmt::format("epoch {} (last)", last_sample.first), "samples", warnings);
    }
    h += "</div>\n";
    if (chosen.size() > 2) {
      h += fmt::format("<h3>{}, at half size</h3>\n<div class=\"gallery\">\n",
                       chosen.size() < n ? fmt::format("{} of {} epochs", chosen.size(), n) : "Every epoch");
      for (size_t i : chosen) {
        h += figure(run.samples[i].second, fmt::format("epoch {}", run.samples[i].first), "samples", warnings, 0.5);
      }
      h += "</div>\n";
    }
  }

  const size_t best_loss = best_index(run.metrics, &train::EpochMetrics::val_loss, true);
  const bool colour = has_colour(run.metrics);
  h += fmt::format(
      "<h3>Metrics</h3>\n<p class=\"note\">From metrics.csv. Highlighted: the lowest validation loss "
      "and the highest validation accuracy; the last row is the final epoch.</p>\n<table "
      "class=\"metrics\">\n<tr><th>epoch</th><th>train loss</th><th>val loss</th><th>val accuracy "
      "(%)</th>{}<th>seconds</th></tr>\n",
      colour ? kColourHeader : "");
  for (size_t i = 0; i < run.metrics.size(); ++i) {
    const auto& m = run.metrics[i];
    h += fmt::format(
        "<tr{}><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num{}\">{}"
        "</td>{}<td class=\"num\">{}</td></tr>\n",
        i + 1 == run.metrics.size() ? " class=\"final\"" : "", m.epoch, loss_text(m.train_loss),
        i == best_loss ? " best" : "", loss_text(m.val_loss), i == best_acc ? " best" : "", acc_text(m.val_acc),
        colour ? colour_cells(m.colour) : "", seconds_text(m.seconds));
  }
  h += "</table>\n</section>\n";
  return h;
}

// Formats summary.csv cells like the other tables; cells that are not numbers are shown as they are.
std::string summary_cell(const std::string& column, const std::string& cell) {
  try {
    size_t used = 0;
    double v = std::stod(cell, &used);
    if (used == cell.size()) {
      if (column == "train_loss" || column == "val_loss") return loss_text(v);
      if (column == "val_acc") return acc_text(v);
      if (column == "seconds") return seconds_text(v);
    }
  } catch (const std::exception&) {}
  return cell;
}

std::string render_sweep(const Section& s, std::vector<std::string>& warnings) {
  std::string h = fmt::format("<section class=\"sweep\">\n<h2>Sweep: {}</h2>\n<p class=\"path\">{}</p>\n",
                              escape_markup(s.name), escape_markup(s.dir.string()));
  h += "<h3>Summary</h3>\n<p class=\"note\">From summary.csv: the final epoch of each run.</p>\n<table "
       "class=\"summary\">\n<tr>";
  const auto& header = s.summary.front();
  for (const auto& c : header) h += "<th>" + escape_markup(c) + "</th>";
  h += "</tr>\n";
  for (size_t r = 1; r < s.summary.size(); ++r) {
    h += "<tr>";
    for (size_t c = 0; c < s.summary[r].size(); ++c) {
      const std::string column = c < header.size() ? header[c] : "";
      h += fmt::format("<td{}>{}</td>", c > 0 ? " class=\"num\"" : "",
                       escape_markup(summary_cell(column, s.summary[r][c])));
    }
    h += "</tr>\n";
  }
  h += "</table>\n<div class=\"pair\">\n";
  h += figure(s.dir / "loss_curves.png", "Loss per epoch (solid: validation, dashed: training)", "curve", warnings);
  h += figure(s.dir / "accuracy_curves.png", "Validation accuracy per epoch", "curve", warnings);
  h += "</div>\n";
  h += figure(s.dir / "samples.png",
              fmt::format("Rows: grey input, ground truth, then each {}'s final prediction, in the summary's order",
                          header.front()),
              "samples", warnings);
  h += "</section>\n";
  return h;
}

// Validation loss and accuracy of every run, one plot each, drawn in a scratch folder and inlined.
std::string comparison_plots(const std::vector<RunData>& runs, std::vector<std::string>& warnings) {
  ScratchDir scratch;
  std::vector<train::NamedHistory> histories;
  std::vector<std::string> columns{"epoch"};
  for (size_t i = 0; i < runs.size(); ++i) {
    columns.push_back(fmt::format("run{}", i + 1));  // plain names for gnuplot; titles carry the run names
    histories.emplace_back(columns.back(), runs[i].metrics);
  }
  std::string h = "<div class=\"pair\">\n";
  for (auto [field, csv, y_label, title] :
       {std::tuple{&train::EpochMetrics::val_loss, "val_loss.csv", "validation loss (per pixel)", "Validation loss"},
        std::tuple{&train::EpochMetrics::val_acc, "val_acc.csv", "validation accuracy (%)", "Validation accuracy"}}) {
    train::per_epoch_table(histories, field).save(scratch.path() / csv);
    LinePlot plot{fmt::format("{} of every run", title), "epoch", y_label};
    plot.width = 760;
    plot.height = 500;
    for (size_t i = 0; i < runs.size(); ++i)
      plot.series.push_back({csv, "epoch", columns[i + 1], runs[i].name, false, "linespoints"});
    const fs::path png = scratch.path() / (fs::path(csv).stem().string() + ".png");
    try {
      plot_lines(png, plot);
    } catch (const Error& e) {
      warnings.push_back(fmt::format("comparison plot '{}' left out: {}", title, e.what()));
      h += fmt::format("<p class=\"missing\">{} plot not drawn: {}</p>\n", escape_markup(title),
                       escape_markup(e.what()));
      continue;
    }
    h += figure(png, fmt::format("{} per epoch, one line per run", title), "curve", warnings);
  }
  return h + "</div>\n";
}

std::string render_colour_comparison(const std::vector<RunData>& runs, bool mixed, std::vector<std::string>& warnings) {
  std::string h = mixed ? "<h3>Colourization runs</h3>\n" : "";
  h += "<p class=\"note\">Final epoch of each run. Highlighted: the lowest validation loss and the highest "
       "validation accuracy.</p>\n<table class=\"comparison\">\n"
       "<tr><th>run</th><th>model</th><th>kernel</th><th>batch size</th><th>epochs</th>"
       "<th>final train loss</th><th>val loss</th><th>val accuracy (%)</th>";
  const bool colour = std::any_of(runs.begin(), runs.end(), [](const auto& r) { return r.metrics.back().colour; });
  if (colour) h += kColourHeader;
  h += "<th>total seconds</th></tr>\n";
  size_t best_loss = 0, best_acc = 0;
  const bool compare = runs.size() >= 2;  // a lone run of its kind (beside detection runs) has nothing to beat
  for (size_t i = 1; i < runs.size(); ++i) {
    if (runs[i].metrics.back().val_loss < runs[best_loss].metrics.back().val_loss) best_loss = i;
    if (runs[i].metrics.back().val_acc > runs[best_acc].metrics.back().val_acc) best_acc = i;
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& last = r.metrics.back();
    h += fmt::format(
        "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num{}\">{}</td>"
        "{}<td class=\"num\">{}</td></tr>\n",
        run_anchor(i), escape_markup(r.name), escape_markup(r.config.model), r.config.net.kernel, r.config.batch_size,
        last.epoch, loss_text(last.train_loss), compare && i == best_loss ? " best" : "", loss_text(last.val_loss),
        compare && i == best_acc ? " best" : "", acc_text(last.val_acc), colour ? colour_cells(last.colour) : "",
        seconds_text(total_seconds(r)));
  }
  h += "</table>\n";
  if (runs.size() >= 2) h += comparison_plots(runs, warnings);
  return h;
}

// The overview of a page with two runs or more. Colourization and detection runs are measured differently, so each
// kind has its own table.
std::string render_comparison(const std::vector<RunData>& runs, const std::vector<DetectRunData>& detect_runs,
                              std::vector<std::string>& warnings) {
  const bool mixed = !runs.empty() && !detect_runs.empty();
  std::string h = "<section class=\"comparison\" id=\"comparison\">\n<h2>Comparison</h2>\n";
  if (!runs.empty()) h += render_colour_comparison(runs, mixed, warnings);
  if (!detect_runs.empty()) {
    if (mixed) h += "<h3>Detection runs</h3>\n";
    std::vector<std::string> anchors;
    for (size_t i = 0; i < detect_runs.size(); ++i) anchors.push_back(detect_anchor(i));
    h += render_detect_comparison(detect_runs, anchors, warnings);
  }
  return h + "</section>\n";
}

std::string now_text() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &tm);
  return buffer;
}

}  // namespace

ReportResult render_report(const ReportOptions& options) {
  if (options.inputs.empty()) throw Error("give at least one run directory");
  if (options.max_sample_epochs == 1 || options.max_sample_epochs < 0) {
    throw Error(fmt::format("--max-sample-epochs must be 0 (all) or at least 2, got {}", options.max_sample_epochs));
  }
  ReportResult result;
  std::vector<RunData> runs;
  std::vector<DetectRunData> detect_runs;
  std::vector<Section> sections;
  std::set<std::string> names;
  auto unique_name = [&](std::string name, const fs::path& dir) {
    if (names.count(name)) name = dir.string();
    for (int k = 2; names.count(name); ++k) name = fmt::format("{} ({})", dir.string(), k);
    names.insert(name);
    return name;
  };

  // Read every input before drawing anything, so that a bad one fails fast.
  for (const auto& input : options.inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) throw Error(fmt::format("{}: no such directory", input.string()));
    Section s;
    s.dir = input;
    const auto kind = runs::kind_of(input);
    if (kind == runs::RunKind::detection) {
      s.detect_run = detect_runs.size();
      detect_runs.push_back(read_detect_run(input, unique_name(folder_name(input), input)));
      s.name = detect_runs.back().name;
    } else if (!kind && runs::is_sweep_dir(input)) {
      s.sweep = true;
      s.name = unique_name(folder_name(input), input);
      const fs::path summary_path = input / runs::sweep_files::kSummary;
      s.summary = report::parse_csv(read_file(summary_path));
      if (s.summary.empty() || s.summary.front().empty()) {
        throw Error(fmt::format("{}: empty summary (expected a header and one row per run)", summary_path.string()));
      }
      // Runs in the summary's order (folder "<setting>-<value>"), then any other run folders, sorted.
      std::vector<fs::path> dirs;
      for (size_t r = 1; r < s.summary.size(); ++r) {
        fs::path d = input / (s.summary.front().front() + "-" + s.summary[r].front());
        if (is_run_dir(d)) dirs.push_back(d);
      }
      std::vector<fs::path> others;
      for (const auto& entry : fs::directory_iterator(input, ec)) {
        if (entry.is_directory() && is_run_dir(entry.path()) &&
            std::find(dirs.begin(), dirs.end(), entry.path()) == dirs.end()) {
          others.push_back(entry.path());
        }
      }
      std::sort(others.begin(), others.end());
      dirs.insert(dirs.end(), others.begin(), others.end());
      for (const auto& d : dirs) {
        if (!fs::is_regular_file(d / train::run_files::kMetrics, ec)) {
          result.warnings.push_back(
              fmt::format("{}: no metrics.csv (unfinished run?), left out of the report", d.string()));
          continue;
        }
        s.runs.push_back(runs.size());
        runs.push_back(read_run(d, unique_name(s.name + "/" + folder_name(d), d)));
      }
    } else {
      s.runs.push_back(runs.size());
      runs.push_back(read_run(input, unique_name(folder_name(input), input)));
      s.name = runs.back().name;
    }
    sections.push_back(std::move(s));
  }
  const size_t total_runs = runs.size() + detect_runs.size();
  result.runs = static_cast<int>(total_runs);

  std::vector<std::string> warnings = result.warnings;
  std::string body;
  if (total_runs >= 2) body += render_comparison(runs, detect_runs, warnings);
  for (const auto& s : sections) {
    if (s.sweep) body += render_sweep(s, warnings);
    for (size_t i : s.runs) body += render_run(runs[i], i, options.max_sample_epochs, warnings);
    if (s.detect_run) body += render_detect_run(detect_runs[*s.detect_run], detect_anchor(*s.detect_run), warnings);
  }

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += fmt::format("<meta name=\"generator\" content=\"tint {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n",
                   version(), escape_markup(options.title), kStyle);
  h += fmt::format(
      "<body>\n<main>\n<header>\n<h1>{}</h1>\n<p class=\"meta\">{} run{} &middot; written by tint {} on "
      "{}</p>\n</header>\n",
      escape_markup(options.title), total_runs, total_runs == 1 ? "" : "s", version(), now_text());
  h += "<nav>\n<ol>\n";
  if (total_runs >= 2) h += "<li><a href=\"#comparison\">Comparison</a></li>\n";
  for (const auto& s : sections) {  // in page order
    for (size_t i : s.runs) {
      h += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", run_anchor(i), escape_markup(runs[i].name));
    }
    if (s.detect_run) {
      h += fmt::format("<li><a href=\"#{}\">{} (detection)</a></li>\n", detect_anchor(*s.detect_run),
                       escape_markup(detect_runs[*s.detect_run].name));
    }
  }
  h += "</ol>\n</nav>\n";
  if (!warnings.empty()) {
    h += "<div class=\"warnings\"><strong>Left out of this report:</strong>\n<ul>\n";
    for (const auto& w : warnings) h += "<li>" + escape_markup(w) + "</li>\n";
    h += "</ul>\n</div>\n";
  }
  h += body;
  h += "</main>\n</body>\n</html>\n";
  result.html = std::move(h);
  result.warnings = std::move(warnings);
  return result;
}

ReportResult write_report(const ReportOptions& options, const fs::path& out) {
  auto result = render_report(options);
  write_file_atomic(out, result.html);
  return result;
}

}  // namespace tint::pages
