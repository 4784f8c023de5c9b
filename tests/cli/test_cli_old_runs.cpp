// Run directories written before config.json named its kind (tests/data/old-runs, made by tint at f92c11a) still
// load everywhere a run is read: the report, `colourize --run`, `evaluate --run`, `detect --run` and `--resume`; a
// fresh run records its kind; a run given to the command of the other kind is a one-line error saying which reads it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::quoted;
using test::run_tint;

fs::path old_run(const std::string& name) { return test::source_dir() / "tests/data/old-runs" / name; }

TEST(CliOldRuns, TheReportReadsRunsOfBothKindsWrittenBeforeKindExisted) {
  test::TempDir tmp;
  const auto page = tmp / "report.html";
  const auto r = run_tint("report " + quoted(old_run("colour-palette")) + " " + quoted(old_run("colour-ab")) + " " +
                          quoted(old_run("detect-run")) + " -o " + quoted(page));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_file(page);
  EXPECT_NE(html.find("Detection run: detect-run"), std::string::npos);
  EXPECT_NE(html.find("colour-ab"), std::string::npos);
  EXPECT_NE(html.find("colour-palette"), std::string::npos);
}

TEST(CliOldRuns, OldColourizationRunsColourizeEvaluateAndResume) {
  test::TempDir tmp;
  const auto photo = test::test_photo("kodim06.jpg");
  for (const char* name : {"colour-palette", "colour-ab"}) {
    SCOPED_TRACE(name);
    const auto out = tmp / (std::string(name) + ".png");
    auto r = run_tint("colourize " + quoted(photo) + " --run " + quoted(old_run(name)) + " -o " + quoted(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_regular_file(out));
    r = run_tint("evaluate --run " + quoted(old_run(name)) + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("after 1 epochs on 20 validation images"), std::string::npos) << r.out;
    // --resume continues the old run to a second epoch (in a copy: the fixture stays as it was written).
    const auto copy = tmp / name;
    fs::copy(old_run(name), copy, fs::copy_options::recursive);
    r = run_tint("train --resume " + quoted(copy) + " --epochs 2 --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::count_lines(read_file(copy / "metrics.csv")), 3u);  // header, epochs 1 and 2
    EXPECT_EQ(test::checkpoint_epoch(copy / "checkpoint.pt"), 2);
  }
}

TEST(CliOldRuns, AnOldDetectionRunsModelDetects) {
  test::TempDir tmp;
  const auto r = run_tint("detect " + quoted(test::test_photo("kodim06.jpg")) + " --run " +
                          quoted(old_run("detect-run")) + " --out-dir " + quoted(tmp.path()) + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliOldRuns, ARunGivenToTheOtherKindsCommandIsAOneLineError) {
  test::TempDir tmp;
  const auto photo = quoted(test::test_photo("kodim06.jpg"));
  auto r = run_tint("colourize " + photo + " --run " + quoted(old_run("detect-run")) + " -o " + quoted(tmp / "x.png"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tint: error: --run " + old_run("detect-run").string() +
                       ": a detection run (written by tint detect train), not a colourization run: use it with tint "
                       "detect --run\n");
  r = run_tint("detect " + photo + " --run " + quoted(old_run("colour-ab")) + " --out-dir " + quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tint: error: --run " + old_run("colour-ab").string() +
                       ": a colourization run (written by tint train), not a detection run: use it with tint "
                       "colourize --run / tint evaluate --run\n");
  EXPECT_TRUE(test::read_tree(tmp.path()).empty());  // nothing written
}

TEST(CliOldRuns, AFreshRunRecordsItsKind) {
  test::TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_tint(
      "train --model pool-upsample --num-filters 4 --epochs 1 --train-limit 50 --val-limit 10 "
      "--kmeans-iterations 5 --samples 2 --threads 1 -o " +
      quoted(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(run / "config.json")).at("kind"), "colourization");
}

}  // namespace
}  // namespace tint
