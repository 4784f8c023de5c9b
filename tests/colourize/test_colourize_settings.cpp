// The rows of colourize_settings.h: which checkpoint a choice of model names, and the flags' ranges.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/colourize/colourize_settings.h"
#include "tint/colourize/pretrained.h"
#include "tint/core/error.h"

namespace tint::colourize {
namespace {
namespace fs = std::filesystem;

TEST(ColourizerChoice, NamesTheCheckpointOfEachWayOfChoosing) {
  const fs::path shipped = "/shipped";
  ColourizerChoice choice;
  EXPECT_EQ(colourizer_checkpoint(choice, shipped), shipped / pretrained_colourizers().front().file);
  choice.pretrained = "horse";
  EXPECT_EQ(colourizer_checkpoint(choice, shipped), shipped / "conv-transpose-horse.pt");

  const auto old_runs = test::source_dir() / "tests" / "data" / "old-runs";
  ColourizerChoice run;
  run.run = (old_runs / "colour-palette").string();
  EXPECT_EQ(colourizer_checkpoint(run, shipped), old_runs / "colour-palette" / "checkpoint.pt");
  ColourizerChoice file;
  file.checkpoint = "/some/where/model.pt";
  EXPECT_EQ(colourizer_checkpoint(file, shipped), fs::path("/some/where/model.pt"));
}

TEST(ColourizerChoice, RefusesADetectionRunAndTwoChoices) {
  const auto old_runs = test::source_dir() / "tests" / "data" / "old-runs";
  ColourizerChoice detection;
  detection.run = (old_runs / "detect-run").string();
  const auto message = test::error_of([&] { colourizer_checkpoint(detection, "/shipped"); });
  EXPECT_NE(message.find("--run"), std::string::npos) << message;
  EXPECT_NE(message.find("detect"), std::string::npos) << message;

  ColourizerChoice both;
  both.run = (old_runs / "colour-palette").string();
  both.checkpoint = "model.pt";
  EXPECT_EQ(test::error_of([&] { colourizer_checkpoint(both, "/shipped"); }),
            "--run and --checkpoint: give one of them");

  ColourizerChoice unknown;
  EXPECT_NE(test::error_of([&] {
              find_setting(colourizer_choice_settings(), "pretrained")->parse(unknown, "zebra");
            }).find("--pretrained"),
            std::string::npos);
}

TEST(ColourizeSettings, SizeIsRangeCheckedAndTheSwitchesTakeNoValue) {
  ColourizeOptions options;
  const auto* size = find_setting(colourize_settings(), "size");
  ASSERT_NE(size, nullptr);
  size->parse(options, "128");
  EXPECT_EQ(options.working_side, 128);
  for (const char* bad : {"-1", "4097", "12.5", ""}) {
    EXPECT_NE(test::error_of([&] { size->parse(options, bad); }).find("--size"), std::string::npos) << bad;
  }
  for (const char* name : {"raw", "side-by-side"}) {
    const auto* row = find_setting(colourize_settings(), name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_TRUE(row->bare_flag) << name;  // `--raw photo.jpg`: the photo is an input, not the flag's value
    EXPECT_EQ(row->show(ColourizeOptions{}), "false");
  }
  find_setting(colourize_settings(), "raw")->parse(options, "true");
  find_setting(colourize_settings(), "side-by-side")->parse(options, "true");
  EXPECT_TRUE(options.raw);
  EXPECT_TRUE(options.side_by_side);
}

TEST(ColourizeSettings, UpsamplingChoiceAndTheGuidedFiltersParameters) {
  ColourizeOptions options;
  const auto* upsample = find_setting(colourize_settings(), "upsample");
  ASSERT_NE(upsample, nullptr);
  EXPECT_EQ(upsample->range, "bilinear|guided");
  upsample->parse(options, "bilinear");
  EXPECT_EQ(options.upsample, Upsample::bilinear);
  upsample->parse(options, "guided");
  EXPECT_EQ(options.upsample, Upsample::guided);
  EXPECT_NE(test::error_of([&] { upsample->parse(options, "bicubic"); }).find("--upsample"), std::string::npos);
  const auto* radius = find_setting(colourize_settings(), "guide-radius");
  const auto* eps = find_setting(colourize_settings(), "guide-eps");
  ASSERT_NE(radius, nullptr);
  ASSERT_NE(eps, nullptr);
  radius->parse(options, "2");
  eps->parse(options, "0.01");
  EXPECT_EQ(options.guide_radius, 2);
  EXPECT_EQ(options.guide_eps, 0.01);
  for (const char* bad : {"-1", "17", "x"}) {
    EXPECT_NE(test::error_of([&] { radius->parse(options, bad); }).find("--guide-radius"), std::string::npos) << bad;
  }
  for (const char* bad : {"0", "-0.1", "nan"}) {
    EXPECT_NE(test::error_of([&] { eps->parse(options, bad); }).find("--guide-eps"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace tint::colourize
