// Private helpers shared by the optimization experiments for their output folders: every experiment writes CSVs,
// plots and a summary.txt holding the same text the CLI prints.
#pragma once

#include <filesystem>
#include <string>

#include <torch/types.h>

namespace tint::optim::detail {

// Creates the folder (throws tint::Error naming it on failure).
void prepare_out_dir(const std::filesystem::path& dir);

// Writes dir/summary.txt atomically.
void write_summary(const std::filesystem::path& dir, const std::string& text);

// "(0.8, 0.4)" for a short vector, "(0.8, 0.4, ... 100 entries)" beyond `show` entries.
std::string format_vector(const torch::Tensor& w, int show = 4);

// Log-scale plots drop values <= 0 (and gnuplot fails when every value is dropped), so columns meant for a log
// axis are written floored at this value; the raw column sits beside it in the CSV.
constexpr double kLogFloor = 1e-20;
inline double log_floor(double v) { return v > kLogFloor ? v : kLogFloor; }

// A gnuplot command drawing a dashed horizontal line at y with a label, for tolerances on plots.
std::string horizontal_line(double y, const std::string& label);

}  // namespace tint::optim::detail
