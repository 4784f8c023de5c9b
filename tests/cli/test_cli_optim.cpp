// End-to-end: each `tint optim` experiment with small settings writes its summary, CSVs and decodable PNG plots
// (with their .gp scripts), prints its numbers, is reproducible from its seed; bad flags exit 2 with one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/report/plot.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

using test::count_lines;

void expect_plot(const fs::path& png) {
  auto image = data::read_image(png);  // throws if it does not decode
  EXPECT_EQ(image.size(0), 3) << png;
  EXPECT_GT(image.size(2), 100) << png;
  auto gp = png;
  EXPECT_TRUE(fs::exists(gp.replace_extension(".gp"))) << gp;
}

void expect_csv_rows(const fs::path& csv, size_t at_least) {
  EXPECT_GE(count_lines(read_file(csv)), at_least + 1) << csv;  // header + rows
}

struct Experiment {
  std::string args;
  std::vector<std::string> plots;
  std::vector<std::pair<std::string, size_t>> csvs;  // file, minimum rows
  std::string stdout_has;
};

TEST(CliOptim, EveryExperimentWritesItsOutputs) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(report::gnuplot_available(), "gnuplot (apt-get install gnuplot-nox; scripts/deps.sh does)"));
  const std::vector<Experiment> experiments{
      {"min-norm --n 10 --d 30 --batch-size 3",
       {"distance.png", "off_span.png"},
       {{"gd.csv", 10}, {"sgd.csv", 10}, {"sgd_from_random.csv", 10}},
       "||w*||"},
      {"adaptive --n 10 --d 30 --problems 1",
       {"two_d_paths.png", "random_distance.png"},
       {{"solutions.csv", 10}, {"two_d_rmsprop.csv", 10}, {"random_1_adam.csv", 10}},
       "minimum-norm solution (0.8, 0.4)"},
      {"hypergrad --n 10 --d 30 --n-validation 20 --t 5,10,20 --hyper-steps 5 --grid-points 21",
       {"memory.png", "hypergradient_errors.png", "one_step.png", "hyper_loop.png"},
       {{"hypergradients.csv", 3}, {"one_step.csv", 21}, {"hyper_loop.csv", 6}},
       "eta* ="},
      {"weight-decay --n 10 --d 30 --steps 50", {"distance.png"}, {{"distance.csv", 51}}, "lambda~ = lambda / (2 eta)"},
  };
  for (const auto& e : experiments) {
    test::TempDir tmp;
    auto r = run_tint("optim " + e.args + " --seed 1 --out '" + tmp.path().string() + "'");
    ASSERT_EQ(r.exit_code, 0) << e.args << ": " << r.err;
    EXPECT_NE(r.out.find(e.stdout_has), std::string::npos) << e.args << ": " << r.out;
    const auto summary = read_file(tmp / "summary.txt");
    EXPECT_NE(r.out.find(summary), std::string::npos) << "stdout carries the summary";
    for (const auto& png : e.plots) expect_plot(tmp / png);
    for (const auto& [csv, rows] : e.csvs) expect_csv_rows(tmp / csv, rows);
  }
}

TEST(CliOptim, SameSeedSameNumbers) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(report::gnuplot_available(), "gnuplot (apt-get install gnuplot-nox; scripts/deps.sh does)"));
  test::TempDir a, b;
  const std::string args = "optim min-norm --n 8 --d 20 --seed 5 --init-scale 0 --out ";
  ASSERT_EQ(run_tint(args + "'" + a.path().string() + "'").exit_code, 0);
  ASSERT_EQ(run_tint(args + "'" + b.path().string() + "'").exit_code, 0);
  EXPECT_EQ(read_file(a / "sgd.csv"), read_file(b / "sgd.csv"));
  EXPECT_EQ(read_file(a / "summary.txt"), read_file(b / "summary.txt"));
}

TEST(CliOptim, BadFlagsExitTwoWithOneLineNamingTheFlag) {
  test::TempDir tmp;
  const std::string out = " --out '" + (tmp / "o").string() + "'";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"optim min-norm --batch-size 0", "--batch-size"},
      {"optim min-norm --n 100 --d 50", "--n"},
      {"optim min-norm --lr 1", "--lr"},
      {"optim adaptive --lr-adam -1", "--lr-adam"},
      {"optim adaptive --beta 1", "--beta"},
      {"optim hypergrad --t 5,0", "--t"},
      {"optim hypergrad --eta abc", "--eta"},
      {"optim weight-decay --lambda 1.5", "--lambda"},
      {"optim weight-decay --no-such-flag 1", "--no-such-flag"},
      {"optim", "subcommand"},
  };
  for (const auto& [args, flag] : cases) {
    auto r = run_tint(args + out);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(count_lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << args << ": " << r.err;
  }
}

TEST(CliOptim, HelpShowsDefaults) {
  auto r = run_tint("optim hypergrad --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"--eta", "=0.002", "--lambda", "--t", "--hyper-lr"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  }
  auto top = run_tint("optim --help");
  for (const char* s : {"min-norm", "adaptive", "hypergrad", "weight-decay"}) {
    EXPECT_NE(top.out.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace tint
