// `tint summary` as a library: one row per layer (shape, weights, outputs, connections, receptive field), totals,
// the totals of a model-table model as polynomials in NIC, NF, NC and k, and the text / CSV renderings.
#pragma once

#include <string>
#include <vector>

#include "tint/analysis/layer_graph.h"
#include "tint/analysis/polynomial.h"
#include "tint/analysis/receptive_field.h"
#include "tint/models/model_config.h"
#include "tint/report/table.h"

namespace tint::analysis {

struct SummaryRow {
  std::string name, type;
  Shape shape;
  Counts counts;
  LayerField field;
};

struct Summary {
  Counting counting;
  std::vector<SummaryRow> rows;
  Counts total;
};

Summary summarize(const LayerGraph& graph, const Counting& counting);

// An aligned text table with a total row, e.g.
//   layer     type            output    weights  outputs  connections  rf  jump
//   block1.0  conv 3x3 s2 p1  32x16x16      288     8192        73728   3     2
std::string format_summary(const Summary& summary);
// The same rows for --csv (layer, type, c, h, w, weights, outputs, connections, rf_h, rf_w, jump_h, jump_w).
report::Table summary_table(const Summary& summary);

// The order of the variables of every symbolic total.
inline const std::vector<std::string>& symbolic_variables() {
  static const std::vector<std::string> names{"NIC", "NF", "NC", "k"};
  return names;
}

struct SymbolicTotals {
  Polynomial weights, outputs, connections;
};

// The totals of model-table model `model` for H x W inputs as exact polynomials in NIC, NF, NC and k, found by
// counting real networks (built with make_model, described from their modules) on a grid of settings; `base`
// supplies the other settings (dilation). Throws tint::Error if a total is not such a polynomial.
SymbolicTotals symbolic_totals(const std::string& model, const models::ModelConfig& base, int64_t height, int64_t width,
                               const Counting& counting);

}  // namespace tint::analysis
