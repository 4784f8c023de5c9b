// End-to-end: `tint compare` trains every network of the model table with the same settings, and the numbers it
// prints and writes are the runs' own: each row of the printed table is the last epoch of that run's metrics.csv (at
// the printed precision), summary.csv holds the same numbers as metrics.csv, and the per-epoch tables
// (train_loss.csv, val_loss.csv, val_acc.csv) hold every epoch of every run. The CSV files are split here by hand,
// not with tint's reader.
#include <cmath>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/models/model_table.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

using CliCompare = test::SmallRunTest;
using Rows = std::vector<std::vector<std::string>>;

Rows split_csv(const fs::path& file) {
  Rows rows;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cells_in(line);
    for (std::string cell; std::getline(cells_in, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

// The column of `rows` named `name` (its header is row 0).
size_t column(const Rows& rows, const std::string& name) {
  for (size_t c = 0; c < rows.at(0).size(); ++c)
    if (rows[0][c] == name) return c;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// The printed table: a header line "model  train loss  val loss  val acc", then "<model> <train> <val> <acc>%" per run.
Rows printed_table(const std::string& out) {
  Rows rows;
  std::istringstream in(out);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string word; words >> word;) w.push_back(word);
    if (!inside) {
      inside = w == std::vector<std::string>{"model", "train", "loss", "val", "loss", "val", "acc"};
      continue;
    }
    if (w.size() != 4) break;
    rows.push_back(w);
  }
  return rows;
}

TEST_F(CliCompare, PrintsAndWritesEachRunsOwnMetrics) {
  test::TempDir tmp;
  const fs::path out = tmp / "compare";
  // The small run's flags, all of which `tint compare` takes as well (every training setting but --model).
  const std::string train = train_args(out, /*epochs=*/2, /*images=*/100);
  ASSERT_EQ(train.rfind("train ", 0), 0u);
  const auto r = test::run_tint("compare" + train.substr(5));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto printed = printed_table(r.out);
  const auto& models = models::source_model_names();  // the default list: the source's three networks
  ASSERT_EQ(printed.size(), models.size()) << r.out;
  const Rows summary = split_csv(out / "summary.csv");
  ASSERT_EQ(summary.size(), models.size() + 1);
  const Rows per_epoch[] = {split_csv(out / "train_loss.csv"), split_csv(out / "val_loss.csv"),
                            split_csv(out / "val_acc.csv")};
  const char* const metric[] = {"train_loss", "val_loss", "val_acc"};
  for (size_t i = 0; i < models.size(); ++i) {
    SCOPED_TRACE(models[i]);
    const Rows metrics = split_csv(out / ("model-" + models[i]) / "metrics.csv");
    ASSERT_EQ(metrics.size(), 3u);  // header and two epochs
    const auto& last = metrics.back();
    const auto value = [&](const char* name) { return std::stod(last.at(column(metrics, name))); };

    EXPECT_EQ(printed[i][0], models[i]);
    EXPECT_EQ(printed[i][1], fmt::format("{:.4f}", value("train_loss")));
    EXPECT_EQ(printed[i][2], fmt::format("{:.4f}", value("val_loss")));
    EXPECT_EQ(printed[i][3], fmt::format("{:.2f}%", value("val_acc")));

    const auto& row = summary[i + 1];
    EXPECT_EQ(row.at(column(summary, "model")), models[i]);
    EXPECT_EQ(row.at(column(summary, "epochs")), last.at(column(metrics, "epoch")));
    for (const char* name : metric) EXPECT_EQ(row.at(column(summary, name)), last.at(column(metrics, name))) << name;
    double seconds = 0;  // the summary's is the runs' total, to the millisecond
    for (size_t e = 1; e < metrics.size(); ++e) seconds += std::stod(metrics[e].at(column(metrics, "seconds")));
    EXPECT_NEAR(std::stod(row.at(column(summary, "seconds"))), seconds, 0.0005 + 1e-9);

    for (size_t m = 0; m < 3; ++m) {
      const Rows& table = per_epoch[m];
      ASSERT_EQ(table.size(), metrics.size()) << metric[m];
      for (size_t e = 1; e < metrics.size(); ++e) {
        EXPECT_EQ(table[e].at(column(table, "epoch")), metrics[e].at(column(metrics, "epoch"))) << metric[m];
        EXPECT_EQ(table[e].at(column(table, models[i])), metrics[e].at(column(metrics, metric[m])))
            << metric[m] << ", epoch " << e;
      }
    }
  }
}

}  // namespace
}  // namespace tint
