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

// A matrix of cells drawn as coloured squares with a text in each (a confusion matrix): row 0 at the top.
struct HeatMap {
  std::string title;
  std::string x_label;  // under the columns
  std::string y_label;  // beside the rows
  std::string colour_label;
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  std::vector<std::vector<double>> colour;     // [row][column] in [0, 1]: white to dark blue
  std::vector<std::vector<std::string>> text;  // [row][column]; empty: none (no comma or quote)
  int cell = 28;                               // pixels per cell
};

// True when a gnuplot executable is on PATH.
bool gnuplot_available();

// Writes `png` with the .gp script beside it (same stem). The CSVs named by the series must already be in png's
// folder. Throws tint::Error with gnuplot's message if it fails, or if gnuplot is not installed.
void plot_lines(const std::filesystem::path& png, const LinePlot& plot);

// Writes `png` as a heat map, with its data (.csv: column, row, colour, text, text colour) and script (.gp) beside it,
// sized to the matrix. Throws tint::Error for colour or text tables of another shape than the labels, a colour
// outside [0, 1], or gnuplot's failure.
void plot_heat_map(const std::filesystem::path& png, const HeatMap& map);

// Runs an existing gnuplot script in its folder; the script must honour the variable `out` for its output file.
void run_gnuplot(const std::filesystem::path& script, const std::filesystem::path& png);

}  // namespace tint::report
