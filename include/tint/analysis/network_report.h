// The work of `tint summary`: describe a model of the model table or an architecture string, count it, and
// optionally count it again at twice the input size, as symbolic polynomials, and verify it against the real
// LibTorch network. The CLI binds flags to a NetworkRequest and prints format_network_report().
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tint/analysis/summary.h"
#include "tint/analysis/verify.h"
#include "tint/models/model_config.h"

namespace tint::analysis {

struct NetworkRequest {
  std::string model;              // a model-table name, or empty when `arch` is given (exactly one of the two)
  std::string arch;               // an architecture string (architecture.h)
  models::ModelConfig config;     // for `model`
  std::string size = "32";        // for `model`: H or HxW, both divisible by 4 (--size)
  std::string input = "3x32x32";  // for `arch`: CxHxW (--input)
  Counting counting;
  bool symbolic = false;      // totals as polynomials in NIC, NF, NC, k (model only)
  bool double_input = false;  // totals again at 2H x 2W
  bool verify = false;        // check the description against the real network
};

struct NetworkReport {
  std::string title;
  Summary summary;
  int64_t height = 0, width = 0;
  std::optional<Counts> doubled;                                 // at 2H x 2W
  std::vector<std::pair<std::string, SymbolicTotals>> symbolic;  // label ("32x32 inputs"), totals
  int kernel = 0;                                                // to substitute k in the symbolic totals
  std::vector<Check> checks;                                     // --verify
  bool verified() const;
};

// "32" or "32x48" -> (H, W); throws tint::Error naming --size unless both are >= 4 and divisible by 4.
std::pair<int64_t, int64_t> parse_size(const std::string& text);

// Throws tint::Error for an impossible request (both or neither of model and arch, --symbolic without a model, a
// bad size or setting).
NetworkReport analyse_network(const NetworkRequest& request);

// The text `tint summary` prints: title, table, counting conventions, totals, and what was asked besides.
std::string format_network_report(const NetworkReport& report);

}  // namespace tint::analysis
