// Summary rows, their text and CSV forms, and symbolic totals by interpolation over real networks.
#include "tint/analysis/summary.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/core.h>

#include "tint/analysis/model_graph.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"

namespace tint::analysis {

Summary summarize(const LayerGraph& graph, const Counting& counting) {
  Summary s;
  s.counting = counting;
  const auto fields = layer_fields(graph);
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& l = graph.layers[i];
    SummaryRow row{l.name, l.describe(), l.out, count_layer(graph, static_cast<int>(i), counting), fields[i]};
    s.total += row.counts;
    s.rows.push_back(std::move(row));
  }
  return s;
}

namespace {

std::string jump_text(double j) {
  if (std::isnan(j)) return "-";
  return fmt::format("{:g}", j);
}

std::string field_text(const LayerField& f) {
  return f.size_h == f.size_w ? std::to_string(f.size_h) : fmt::format("{}x{}", f.size_h, f.size_w);
}

std::string jumps_text(const LayerField& f) {
  const auto h = jump_text(f.jump_h), w = jump_text(f.jump_w);
  return h == w ? h : h + "," + w;
}

}  // namespace

std::string format_summary(const Summary& s) {
  std::vector<std::vector<std::string>> cells{
      {"layer", "type", "output", "weights", "outputs", "connections", "rf", "jump"}};
  for (const auto& r : s.rows) {
    cells.push_back({r.name, r.type, to_string(r.shape), std::to_string(r.counts.weights),
                     std::to_string(r.counts.outputs), std::to_string(r.counts.connections), field_text(r.field),
                     jumps_text(r.field)});
  }
  cells.push_back({"total", "", "", std::to_string(s.total.weights), std::to_string(s.total.outputs),
                   std::to_string(s.total.connections), "", ""});
  std::vector<size_t> width(cells.front().size(), 0);
  for (const auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool left = c < 3;  // names and shapes read left to right; numbers line up on the right
      line += left ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]);
      if (c + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

report::Table summary_table(const Summary& s) {
  report::Table t(
      {"layer", "type", "c", "h", "w", "weights", "outputs", "connections", "rf_h", "rf_w", "jump_h", "jump_w"});
  for (const auto& r : s.rows) {
    t.add_text_row({r.name, r.type, std::to_string(r.shape.c), std::to_string(r.shape.h), std::to_string(r.shape.w),
                    std::to_string(r.counts.weights), std::to_string(r.counts.outputs),
                    std::to_string(r.counts.connections), std::to_string(r.field.size_h),
                    std::to_string(r.field.size_w), jump_text(r.field.jump_h), jump_text(r.field.jump_w)});
  }
  return t;
}

SymbolicTotals symbolic_totals(const std::string& model, const models::ModelConfig& base, int64_t height, int64_t width,
                               const Counting& counting) {
  std::map<std::vector<int64_t>, Counts> cache;  // (NIC, NF, NC, k) -> totals of that real network
  auto totals = [&](const std::vector<int64_t>& p) -> const Counts& {
    auto it = cache.find(p);
    if (it != cache.end()) return it->second;
    models::ModelConfig c = base;
    c.num_in_channels = static_cast<int>(p[0]);
    c.num_filters = static_cast<int>(p[1]);
    c.num_colours = static_cast<int>(p[2]);
    c.kernel = static_cast<int>(p[3]);
    const auto graph = describe_model(models::make_model(model, c), {c.num_in_channels, height, width});
    return cache.emplace(p, count_total(graph, counting)).first->second;
  };
  // Counts are at most quadratic in each variable; a cubic fit leaves room to spare, and points off the grid
  // (larger kernels and channel counts) confirm the result.
  const std::vector<int64_t> first{1, 1, 2, 2};
  const int degree = 3;
  const std::vector<std::vector<int64_t>> checks{{5, 6, 7, 6}, {7, 3, 9, 7}, {2, 9, 3, 3}, {3, 5, 24, 1}};
  const auto& names = symbolic_variables();
  return {fit_polynomial(
              names, first, degree, [&](const auto& p) { return totals(p).weights; }, checks),
          fit_polynomial(
              names, first, degree, [&](const auto& p) { return totals(p).outputs; }, checks),
          fit_polynomial(
              names, first, degree, [&](const auto& p) { return totals(p).connections; }, checks)};
}

}  // namespace tint::analysis
