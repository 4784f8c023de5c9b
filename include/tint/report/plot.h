// Plots through gnuplot, driven as a separate process. Each plot keeps its data (.csv) and script (.gp) beside the
// PNG, so `gnuplot NAME.gp` in that folder re-draws it; the PNG itself is written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tint::report {

struct Series {
  std::string csv;       // data file name, relative to the plot's folder
  std::string x_column;  // column names in that file
  std::string y_column;
  std::string title;
  bool second_axis = false;  // plot against the right-hand y axis
  std::string style = "lines";
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string y2_label;  // non-empty turns on the second axis
  bool log_x = false;
  bool log_y = false;
  std::vector<Series> series;
  std::vector<std::string> extra;  // raw gnuplot commands placed before `plot` (labels, ranges, arrows)
  int width = 900, height = 560;
};

// True when a gnuplot executable is on PATH.
bool gnuplot_available();

// Writes `png` with the .gp script beside it (same stem). The CSVs named by the series must already be in png's
// folder. Throws tint::Error with gnuplot's message if it fails, or if gnuplot is not installed.
void plot_lines(const std::filesystem::path& png, const LinePlot& plot);

// Runs an existing gnuplot script in its folder; the script must honour the variable `out` for its output file.
void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& png);

}  // namespace tint::report
