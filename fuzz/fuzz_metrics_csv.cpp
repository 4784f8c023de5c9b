// libFuzzer harness: arbitrary bytes as the CSV files `tint report` reads: report::parse_csv (a sweep's summary.csv,
// and under the reader below) and train::read_metrics_csv (a colourization run's metrics.csv, read from a file as the
// report does). Bad input must end in tint::Error; anything else (a crash, a sanitizer report, another exception, a
// broken invariant: __builtin_trap) is a bug. What must hold:
//   parse_csv     no row is empty; rows of one length written back with report::Table parse to the same cells;
//   metrics.csv   accepted: at least one epoch, every epoch a whole number from 1 on, every number finite, colour
//                 scores (ab-bins runs) for every epoch or none; the history written as tint writes it
//                 (metrics_table) is read back to the same values.
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scratch_file.h"
#include "tint/core/error.h"
#include "tint/report/table.h"
#include "tint/train/metrics.h"
#include "tint/train/run_dir.h"

namespace {

namespace fs = std::filesystem;
using tint::train::EpochMetrics;

// Longer inputs are skipped: a few rows reach every branch of both readers.
constexpr size_t kMaxInput = 4096;

const ScratchFile scratch("metrics", ".csv");

void check_parse_csv(const std::string& text) {
  const auto rows = tint::report::parse_csv(text);
  for (const auto& row : rows)
    if (row.empty()) __builtin_trap();
  if (rows.empty()) return;
  for (const auto& row : rows)
    if (row.size() != rows.front().size()) return;  // a Table holds rows of one length only
  tint::report::Table table(rows.front());
  for (size_t r = 1; r < rows.size(); ++r) table.add_text_row(rows[r]);
  if (tint::report::parse_csv(table.to_csv()) != rows) __builtin_trap();
}

// Every number of an epoch, colour scores (ab-bins runs) included.
std::vector<double> numbers(const EpochMetrics& m) {
  std::vector<double> v{double(m.epoch), m.train_loss, m.val_loss, m.val_acc, m.seconds};
  if (m.colour) {
    for (double x : {m.colour->auc, m.colour->auc_rebalanced, m.colour->psnr, m.colour->colourfulness,
                     m.colour->truth_colourfulness})
      v.push_back(x);
  }
  return v;
}

bool same(const std::vector<EpochMetrics>& a, const std::vector<EpochMetrics>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (numbers(a[i]) != numbers(b[i])) return false;
  return true;
}

void check_metrics_csv(const std::string& text) {
  const auto history = tint::train::read_metrics_csv(scratch.write(text));
  if (history.empty()) __builtin_trap();
  for (const auto& m : history) {
    if (m.epoch < 1 || m.colour.has_value() != history.front().colour.has_value()) __builtin_trap();
    for (double x : numbers(m))
      if (!std::isfinite(x)) __builtin_trap();
  }
  // tint writes 10 significant digits, so the first rewrite may round; from then on it is a fixed point.
  const auto once = tint::train::read_metrics_csv(scratch.write(tint::train::metrics_table(history).to_csv()));
  const auto twice = tint::train::read_metrics_csv(scratch.write(tint::train::metrics_table(once).to_csv()));
  if (!same(twice, once)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_parse_csv(text);
  try {
    check_metrics_csv(text);
  } catch (const tint::Error&) {
    // The expected outcome for malformed input.
  }
  return 0;
}
