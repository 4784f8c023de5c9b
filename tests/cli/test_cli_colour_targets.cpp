// End-to-end colour targets (issue 19) through the `tint` binary: an ab-bins run with soft targets and rebalancing
// (trained once for the suite), `tint evaluate` in text and JSON against the run's own metrics.csv, decodings and
// another category, `tint colourize` with an ab-bins run, data-parallel ab-bins training against one process, and the
// flags each target refuses (one line, exit 2, before any work; the ranges and choices of the new settings are
// checked for every path by tests/train/test_settings_table.cpp).
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"

namespace tint {
namespace cli_colour_targets_test {
namespace {
namespace fs = std::filesystem;
using test::quoted;
using test::run_tint;

// No --head: an ab-bins run gets the pointwise head by default (checked below in config.json).
const std::string kAbBins =
    "train --target ab-bins --soft-targets 5 --rebalance 0.5 --num-filters 8 --train-limit 100 --val-limit 30 "
    "--batch-size 25 --samples 3 --threads 1";

// The rows of metrics.csv by column name.
std::vector<std::map<std::string, double>> read_rows(const fs::path& csv) {
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::istringstream header(line);
  for (std::string name; std::getline(header, name, ',');) names.push_back(name);
  std::vector<std::map<std::string, double>> rows;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::map<std::string, double> row;
    std::string cell;
    for (const auto& name : names) {
      std::getline(cells, cell, ',');
      row[name] = std::stod(cell);
    }
    rows.push_back(row);
  }
  return rows;
}

class CliColourTargets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("tint-colour-targets");
    auto r = run_tint(kAbBins + " --epochs 2 --out " + quoted(run()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    train_out_ = new std::string(r.out);
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete train_out_;
  }
  static fs::path run() { return *dir_ / "ab"; }
  static test::TempDir* dir_;
  static std::string* train_out_;
};
test::TempDir* CliColourTargets::dir_ = nullptr;
std::string* CliColourTargets::train_out_ = nullptr;

TEST_F(CliColourTargets, TrainingSaysWhatItFittedAndRecordsColourScores) {
  EXPECT_NE(train_out_->find("fitting ab bins (grid 10) to 100 training images"), std::string::npos) << *train_out_;
  EXPECT_NE(train_out_->find("soft (sigma 5), rebalanced (lambda 0.5)"), std::string::npos) << *train_out_;
  EXPECT_NE(train_out_->find("final colour: AuC "), std::string::npos) << *train_out_;
  for (const char* f : {"ab_bins.json", "config.json", "metrics.csv", "checkpoint.pt", "samples_epoch_02.png"}) {
    EXPECT_TRUE(fs::exists(run() / f)) << f;
  }
  EXPECT_FALSE(fs::exists(run() / "palette.json"));
  const auto config = nlohmann::json::parse(read_file(run() / "config.json"));
  const auto bins = nlohmann::json::parse(read_file(run() / "ab_bins.json"));
  EXPECT_EQ(config.at("num_colours"), bins.at("centres").size());
  EXPECT_EQ(config.at("target"), "ab-bins");
  EXPECT_EQ(config.at("head"), "pointwise");  // the ab-bins default; evaluate and colourize below rebuild it from here
  EXPECT_EQ(config.at("decode"), "annealed");
  EXPECT_EQ(read_rows(run() / "metrics.csv").size(), 2u);
}

// evaluate reproduces the last epoch's numbers (the same decoding, the same images), as text and as JSON.
TEST_F(CliColourTargets, EvaluateReproducesTheLastEpochInTextAndJson) {
  const auto last = read_rows(run() / "metrics.csv").back();
  auto text = run_tint("evaluate --threads 1 --run " + quoted(run()));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(fmt::format("on 30 validation images: val loss {:.4f}, bin acc {:.2f}%", last.at("val_loss"),
                                      last.at("val_acc"))),
            std::string::npos)
      << text.out;
  EXPECT_NE(
      text.out.find(fmt::format("colour (annealed mean, T = 0.38, on the true lightness): AuC {:.2f}%, "
                                "rebalanced AuC {:.2f}%, PSNR {:.2f} dB, colourfulness {:.2f} (ground truth {:.2f})",
                                last.at("val_auc"), last.at("val_auc_rebalanced"), last.at("val_psnr"),
                                last.at("val_colourfulness"), last.at("truth_colourfulness"))),
      std::string::npos)
      << text.out;
  auto json = run_tint("evaluate --json --threads 1 --run " + quoted(run()));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("target"), "ab-bins");
  EXPECT_EQ(j.at("images"), 30);
  EXPECT_EQ(j.at("decode"), "annealed");
  EXPECT_NEAR(j.at("auc").get<double>(), last.at("val_auc"), 1e-7);
  EXPECT_NEAR(j.at("auc_rebalanced").get<double>(), last.at("val_auc_rebalanced"), 1e-7);
  EXPECT_NEAR(j.at("psnr").get<double>(), last.at("val_psnr"), 1e-7);
  EXPECT_NEAR(j.at("bin_accuracy").get<double>(), last.at("val_acc"), 1e-7);
  EXPECT_NEAR(j.at("loss").get<double>(), last.at("val_loss"), 1e-7);
  EXPECT_FALSE(j.contains("accuracy"));

  // Other decodings and a sharper temperature move the colour scores, not the loss.
  auto mode = nlohmann::json::parse(run_tint("evaluate --json --decode mode --threads 1 --run " + quoted(run())).out);
  auto cold =
      nlohmann::json::parse(run_tint("evaluate --json --temperature 0.1 --threads 1 --run " + quoted(run())).out);
  EXPECT_EQ(mode.at("decode"), "mode");
  EXPECT_EQ(cold.at("decode"), "annealed");
  EXPECT_EQ(cold.at("temperature"), 0.1);
  EXPECT_EQ(mode.at("loss"), j.at("loss"));
  EXPECT_NE(mode.at("auc"), j.at("auc"));
  EXPECT_NE(cold.at("colourfulness"), j.at("colourfulness"));
  // Fewer images on request; a category by index is another name for the run's own (horse = 7).
  auto few =
      nlohmann::json::parse(run_tint("evaluate --json --limit 10 --category 7 --threads 1 --run " + quoted(run())).out);
  EXPECT_EQ(few.at("images"), 10);
  EXPECT_EQ(few.at("category"), "7");
}

TEST_F(CliColourTargets, ColourizeWithAnAbBinsRun) {
  test::TempDir tmp;
  torch::manual_seed(0);
  data::write_png(tmp / "grey.png", torch::randint(0, 256, {1, 40, 56}, torch::kUInt8));
  for (const char* extra : {"", " --decode mode", " --raw --size 16"}) {
    SCOPED_TRACE(extra);
    auto r = run_tint("colourize " + quoted(tmp / "grey.png") + " -o " + quoted(tmp / "out.png") + " --run " +
                      quoted(run()) + extra);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto out = data::read_image(tmp / "out.png");
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{3, 40, 56}));
  }
}

// 2 workers x 25 with synchronised batchnorm against 1 process x 50: the colour scores go through the same sums
// across workers as the loss.
TEST_F(CliColourTargets, DataParallelAbBinsMatchesOneProcess) {
  test::TempDir tmp;
  const std::string base =
      "train --target ab-bins --head pointwise --soft-targets 5 --rebalance 0.5 --num-filters 8 --train-limit 150 "
      "--val-limit 30 --samples 3 --threads 1 --epochs 1";
  auto one = run_tint(base + " --batch-size 50 --out " + quoted(tmp / "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = run_tint(base + " --batch-size 25 --nproc 2 --sync-batchnorm --out " + quoted(tmp / "two"),
                      "TINT_DIST_TIMEOUT=30");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(read_file(tmp / "one" / "ab_bins.json"), read_file(tmp / "two" / "ab_bins.json"));
  const auto a = read_rows(tmp / "one" / "metrics.csv").back(), b = read_rows(tmp / "two" / "metrics.csv").back();
  for (const char* column : {"train_loss", "val_loss", "val_auc", "val_auc_rebalanced", "val_psnr"}) {
    EXPECT_NEAR(a.at(column), b.at(column), 1e-3) << column;
  }
  EXPECT_NEAR(a.at("val_acc"), b.at("val_acc"), 0.05);
  EXPECT_NEAR(a.at("val_colourfulness"), b.at("val_colourfulness"), 0.01);
  EXPECT_EQ(a.at("truth_colourfulness"), b.at("truth_colourfulness"));
}

TEST(CliColourTargetFlags, FlagsATargetCannotUseAreRefusedBeforeWork) {
  test::TempDir tmp;
  fs::copy_file(test::source_dir() / "data" / "pretrained" / "conv-transpose-horse.pt", tmp / "checkpoint.pt");
  data::write_png(tmp / "g.png", torch::zeros({1, 8, 8}, torch::kUInt8));
  const std::string palette_run = quoted(tmp.path());
  struct Case {
    std::string args, says;
  };
  for (const auto& c : std::vector<Case>{
           {"train --target ab-bins --num-colours 24", "--num-colours applies to --target palette"},
           {"train --rebalance 0.5", "--rebalance applies to --target ab-bins only"},
           {"train --soft-targets 5", "--soft-targets applies to --target ab-bins only"},
           {"train --decode mean", "--decode applies to --target ab-bins only; palette runs predict the argmax colour"},
           {"train --temperature 0.5", "--temperature applies to --target ab-bins only"},
           {"train --target ab-bins --palette " +
                quoted(test::source_dir() / "data" / "cifar10-horse" / "batches.meta.txt"),
            "--palette applies to --target palette"},
           {"evaluate --run " + palette_run + " --decode mean", "apply to ab-bins runs"},
           {"evaluate --run " + palette_run + " --category zebra", "unknown category 'zebra'"},
           {"colourize " + quoted(tmp / "g.png") + " --pretrained horse --decode mode -o " + quoted(tmp / "o.png"),
            "apply to ab-bins models"},
       }) {
    SCOPED_TRACE(c.args);
    const bool training = c.args.rfind("train", 0) == 0;
    auto r = run_tint(training ? c.args + " --epochs 1 --out " + quoted(tmp / "never") : c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "never"));
  EXPECT_FALSE(fs::exists(tmp / "o.png"));
}

// Weights that overflow in an epoch's last batch make the validation predictions NaN: the run stops naming the epoch,
// as palette runs do, instead of failing inside the colour scores.
TEST(CliColourTargetFlags, OverflowedWeightsStopTheRunBeforeTheirColoursAreScored) {
  test::TempDir tmp;
  auto r = run_tint(
      "train --target ab-bins --num-filters 8 --train-limit 25 --val-limit 10 --batch-size 25 --threads 1 "
      "--epochs 1 --lr 1e30 --out " +
      quoted(tmp / "run"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("validation loss became NaN after epoch 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "run" / "checkpoint.pt"));
}

// --category all on a data set of two classes: every image trains, the palette is fitted over both.
TEST(CliColourTargetFlags, CategoryAllTrainsOnEveryClass) {
  test::TempDir tmp;
  const fs::path data = tmp / "two-classes";
  fs::create_directories(data);
  for (const char* file : {"train.bin", "test.bin"}) {
    std::string bytes = read_file(test::embedded_data_dir() / file).substr(0, 40 * 3073);
    for (size_t r = 1; r < 40; r += 2) bytes[r * 3073] = 4;  // every other horse becomes a deer
    test::write_bytes(data / file, bytes);
  }
  fs::copy_file(test::embedded_data_dir() / "batches.meta.txt", data / "batches.meta.txt");
  auto r = run_tint(
      "train --category all --num-filters 8 --batch-size 20 --epochs 1 --kmeans-iterations 10 --threads 1 "
      "--data " +
      quoted(data) + " --out " + quoted(tmp / "run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("on 40 'all' images, validating on 40"), std::string::npos) << r.out;
  EXPECT_EQ(nlohmann::json::parse(read_file(tmp / "run" / "palette.json")).at("category"), "all");
  auto deer = run_tint("evaluate --category deer --threads 1 --data " + quoted(data) + " --run " + quoted(tmp / "run"));
  ASSERT_EQ(deer.exit_code, 0) << deer.err;
  EXPECT_NE(deer.out.find("on 20 'deer' validation images"), std::string::npos) << deer.out;
}

}  // namespace
}  // namespace cli_colour_targets_test
}  // namespace tint
