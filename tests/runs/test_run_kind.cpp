// The run-directory module (runs/run_kind.h, runs/run_files.h): config.json names its kind; directories written
// before it did (tests/data/old-runs) are told apart by their files; a run of one kind given where another is
// expected is a one-line error naming the command that reads it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/runs/run_files.h"
#include "tint/runs/run_kind.h"

namespace tint::runs {
namespace {
namespace fs = std::filesystem;

fs::path old_run(const std::string& name) { return test::source_dir() / "tests/data/old-runs" / name; }

TEST(RunKind, RunsWrittenBeforeKindExistedAreToldApartByTheirFiles) {
  for (const char* name : {"colour-palette", "colour-ab", "detect-run"}) {
    SCOPED_TRACE(name);
    const auto config = nlohmann::json::parse(read_file(old_run(name) / common_files::kConfig));
    EXPECT_FALSE(config.contains("kind"));  // the fixture is what it claims to be
  }
  EXPECT_EQ(kind_of(old_run("colour-palette")), RunKind::colourization);
  EXPECT_EQ(kind_of(old_run("colour-ab")), RunKind::colourization);
  EXPECT_EQ(kind_of(old_run("detect-run")), RunKind::detection);
  EXPECT_EQ(kind_of(old_run("")), std::nullopt);  // the folder of runs holds no config.json
  EXPECT_FALSE(is_sweep_dir(old_run("")));
}

TEST(RunKind, ConfigJsonNamesTheKindAndReadersGetTheSettingsWithoutIt) {
  test::TempDir tmp;
  // A colourization run's settings beside a model.cfg: the recorded kind wins over the files.
  write_file_atomic(tmp / detection_files::kCfg, "[net]\n");
  write_config(tmp.path(), RunKind::colourization, {{"epochs", 3}, {"model", "unet"}});
  const auto written = nlohmann::json::parse(read_file(tmp / common_files::kConfig));
  EXPECT_EQ(written.at("kind"), "colourization");
  EXPECT_EQ(kind_of(tmp.path()), RunKind::colourization);
  const auto settings = read_config(tmp.path(), RunKind::colourization);
  EXPECT_EQ(settings, nlohmann::json({{"epochs", 3}, {"model", "unet"}}));
}

TEST(RunKind, ARunOfAnotherKindIsAOneLineErrorSayingWhatReadsIt) {
  const auto detect = old_run("detect-run");
  EXPECT_EQ(test::error_of([&] { read_config(detect, RunKind::colourization); }),
            detect.string() +
                " is a detection run (written by tint detect train), not a colourization run: use it "
                "with tint detect --run");
  EXPECT_EQ(test::error_of([&] { expect_kind(old_run("colour-ab"), RunKind::detection, "--run"); }),
            "--run " + old_run("colour-ab").string() +
                ": a colourization run (written by tint train), not a detection run: use it with tint colourize "
                "--run / tint evaluate --run");
  EXPECT_NO_THROW(expect_kind(detect, RunKind::detection, "--run"));
  EXPECT_NO_THROW(expect_kind(old_run(""), RunKind::detection, "--run"));  // no run there: the caller's files say
}

TEST(RunKind, AnUnknownKindOrDamagedConfigNamesTheFile) {
  test::TempDir tmp;
  const fs::path config = tmp / common_files::kConfig;
  write_file_atomic(config, R"({"kind": "video", "epochs": 1})");
  EXPECT_EQ(test::error_of([&] { kind_of(tmp.path()); }),
            config.string() + ": \"kind\" is \"video\", expected \"colourization\" or \"detection\"");
  write_file_atomic(config, R"({"kind": 3})");
  EXPECT_EQ(test::error_of([&] { kind_of(tmp.path()); }),
            config.string() + ": \"kind\" is 3, expected \"colourization\" or \"detection\"");
  write_file_atomic(config, "[1, 2]");
  EXPECT_EQ(test::error_of([&] { kind_of(tmp.path()); }), config.string() + ": expected a JSON object of settings");
  write_file_atomic(config, "{");
  EXPECT_NE(test::error_of([&] { kind_of(tmp.path()); }).find(config.string() + ": not valid JSON"), std::string::npos);
}

TEST(RunFiles, PerEpochFileNamesCarryTwoDigitEpochs) {
  EXPECT_EQ(colourization_files::samples(7), "samples_epoch_07.png");
  EXPECT_EQ(colourization_files::samples(123), "samples_epoch_123.png");
  EXPECT_EQ(detection_files::predictions(0), "predictions_epoch_00.jpg");
  // Every kind reaches the common names through its own namespace.
  EXPECT_STREQ(colourization_files::kConfig, detection_files::kConfig);
  EXPECT_STREQ(detection_files::kCheckpoint, "checkpoint.pt");
}

}  // namespace
}  // namespace tint::runs
