// The settings table is the one definition of every training setting: these tests walk it and check that each
// row's flag, config.json key and sweep value accept the same values and refuse the same values with the same
// message, and that the other commands' copies of a setting (tint summary's model flags, tint palette's K) use the
// same rows.
#include <algorithm>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "settings_flags.h"  // apps/tint: how the CLI binds a table
#include "support/test_support.h"
#include "tint/analysis/network_report.h"
#include "tint/core/error.h"
#include "tint/models/model_table.h"
#include "tint/train/config.h"
#include "tint/train/experiments.h"

namespace tint::train {
namespace {

// Parses `args` (after the program name) with the table bound to a fresh config; returns the config, or throws
// CLI11's error.
TrainConfig parse_flags(const std::vector<std::string>& args) {
  CLI::App app{"test"};
  TrainConfig config;
  cli::add_settings(app, train_settings(), config);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  return config;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(SettingsTable, FlagsAndKeysAreUniqueAndNamedConsistently) {
  std::set<std::string> flags, keys;
  for (const auto& row : train_settings()) {
    EXPECT_TRUE(flags.insert(row.cli_name()).second) << "two settings share the flag " << row.cli_name();
    EXPECT_TRUE(keys.insert(row.key).second) << "two settings share the key " << row.key;
    EXPECT_FALSE(row.help.empty()) << row.flag;
    EXPECT_EQ(row.flag.find('_'), std::string::npos) << "flags are kebab-case: " << row.flag;
    EXPECT_EQ(row.key.find('-'), std::string::npos) << "keys are snake_case: " << row.key;
  }
  // Every key config.json holds comes from a row, and every row is written.
  const auto j = to_json(TrainConfig{});
  EXPECT_EQ(j.size(), train_settings().size());
  for (const auto& item : j.items()) EXPECT_TRUE(keys.count(item.key())) << item.key();
}

TEST(SettingsTable, EveryValidValueRoundTripsThroughFlagsAndJson) {
  test::TempDir dir;
  const auto palette = dir / "palette.json";
  std::ofstream(palette) << "{}";
  for (const auto& row : train_settings()) {
    std::vector<std::string> values = row.valid_examples;
    if (row.range == "an existing file") values = {palette.string()};
    for (const auto& value : values) {
      SCOPED_TRACE(row.cli_name() + " " + value);
      TrainConfig direct;
      row.parse(direct, value);
      if (row.on_cli) {
        TrainConfig flagged = row.negated_flag ? (value == "false" ? parse_flags({row.cli_name()}) : TrainConfig{})
                                               : parse_flags({row.cli_name(), value});
        if (!row.negated_flag || value == "false") {
          EXPECT_EQ(to_json(flagged), to_json(direct));
        }
      }
      const auto back = config_from_json(to_json(direct), "config.json");
      EXPECT_EQ(to_json(back), to_json(direct));
      EXPECT_EQ(row.show(back), row.show(direct));
      if (row.sweepable) {
        TrainConfig swept;
        apply_sweep_value(swept, row.flag, value);
        EXPECT_EQ(to_json(swept), to_json(direct));
      }
    }
  }
}

TEST(SettingsTable, InvalidValuesAreRefusedWithTheSameMessageEverywhere) {
  for (const auto& row : train_settings()) {
    for (const auto& value : row.invalid_examples) {
      SCOPED_TRACE(row.cli_name() + " '" + value + "'");
      TrainConfig c;
      const std::string message = error_of([&] { row.parse(c, value); });
      ASSERT_FALSE(message.empty()) << "the row accepted it";
      EXPECT_NE(message.find(row.cli_name()), std::string::npos) << message;
      if (row.on_cli && !row.negated_flag) {
        const std::string flag_error = error_of([&] { parse_flags({row.cli_name(), value}); });
        EXPECT_NE(flag_error.find(message), std::string::npos) << flag_error;
      }
      if (row.sweepable) {
        TrainConfig swept;
        EXPECT_EQ(error_of([&] { apply_sweep_value(swept, row.flag, value); }), "--values: " + message);
      }
      // The same value in config.json, where JSON can spell it: refused with the same message (range errors) or
      // as a wrong type / non-integer.
      nlohmann::json value_json;
      try {
        value_json = nlohmann::json::parse(value);
      } catch (const nlohmann::json::exception&) {
        value_json = value;  // as a string
      }
      auto j = to_json(TrainConfig{});
      j[row.key] = value_json;
      // "" in config.json means no palette file or photo folder, not an error.
      if (row.range == "an existing file" || row.range == "an existing folder") continue;
      const std::string json_error = error_of([&] { config_from_json(j, "config.json"); });
      EXPECT_FALSE(json_error.empty()) << "config.json accepted it";
      // Where JSON holds a value of the right type, the row's own check refuses it, with the flag's message.
      if (json_error.find("must be in") != std::string::npos ||
          json_error.find("must be one of") != std::string::npos ||
          json_error.find("must be a ") != std::string::npos || json_error.find("must not be") != std::string::npos) {
        EXPECT_EQ(json_error, "config.json: " + message);
      }
    }
  }
}

TEST(SettingsTable, RangeErrorsMatchBetweenFlagJsonAndSweep) {
  // The mismatch this table removed: a sweep accepted batch sizes that --batch-size refused.
  const std::string flag = error_of([] { parse_flags({"--batch-size", "2000000"}); });
  TrainConfig c;
  const std::string sweep = error_of([&] { apply_sweep_value(c, "batch-size", "2000000"); });
  auto j = to_json(TrainConfig{});
  j["batch_size"] = 2000000;
  const std::string json = error_of([&] { config_from_json(j, "c.json"); });
  const std::string expected = "--batch-size must be in 1..1048576, got 2000000";
  EXPECT_NE(flag.find(expected), std::string::npos) << flag;
  EXPECT_EQ(sweep, "--values: " + expected);
  EXPECT_EQ(json, "c.json: " + expected);
}

TEST(SettingsTable, SweepsVaryExactlyTheSweepableRows) {
  std::vector<std::string> sweepable;
  for (const auto& row : train_settings()) {
    if (row.sweepable) sweepable.push_back(row.flag);
  }
  EXPECT_EQ(sweep_parameters(), sweepable);
  TrainConfig c;
  EXPECT_NE(error_of([&] { apply_sweep_value(c, "epochs", "3"); }).find("cannot sweep 'epochs'"), std::string::npos);
}

TEST(SettingsTable, ModelSettingsHaveOneRangeForTrainSummaryAndPalette) {
  // tint summary once took --num-in-channels up to 4096 where the models allow 64.
  analysis::NetworkRequest request;
  request.model = "conv-transpose";
  request.config.num_in_channels = 4096;
  EXPECT_EQ(error_of([&] { analysis::analyse_network(request); }), "--num-in-channels must be in 1..64, got 4096");
  CLI::App app{"summary"};
  models::ModelConfig m;
  cli::add_settings(app, models::model_settings(), m);
  EXPECT_THROW(app.parse(std::vector<std::string>{"65", "--num-in-channels"}), CLI::ParseError);
  // Every model row reaches the training table under the same flag, key and range; training's head also takes
  // "auto" (the head follows the target).
  for (const auto& row : models::model_settings()) {
    const auto* lifted = find_setting(train_settings(), row.flag);
    ASSERT_NE(lifted, nullptr) << row.flag;
    EXPECT_EQ(lifted->key, row.key);
    EXPECT_EQ(lifted->range, row.flag == "head" ? "auto|" + row.range : row.range);
  }
}

// Issue 29 item 6: with no --head, ab-bins runs get the pointwise head (7x faster an epoch with 244 bins) and palette
// runs the source's figure head; an explicit head wins; a config.json from before --head existed means the figure's.
TEST(SettingsTable, TheHeadFollowsTheTargetUnlessGivenAndOldRunsKeepTheirs) {
  TrainConfig c;
  EXPECT_EQ(c.net.head, "auto");
  EXPECT_EQ(network_config(c).head, "figure");
  c.target = ColourTarget::ab_bins;
  EXPECT_EQ(network_config(c).head, "pointwise");
  resolve_head(c);
  EXPECT_EQ(c.net.head, "pointwise");
  EXPECT_EQ(config_from_json(to_json(c), "config.json").net.head, "pointwise");  // recorded as trained
  TrainConfig given;
  given.target = ColourTarget::ab_bins;
  apply_sweep_value(given, "head", "figure");
  EXPECT_EQ(network_config(given).head, "figure");
  auto old_run = to_json(c);
  old_run.erase("head");
  EXPECT_EQ(config_from_json(old_run, "config.json").net.head, "figure");
  // A network is never built from an unresolved head.
  EXPECT_NE(error_of([] { models::make_model("unet", TrainConfig{}.net); }).find("--head"), std::string::npos);
}

// Issue 30 item 3: the colour target is an enum parsed by its row, spelled in flags and config.json as before, and
// which settings go with which target is declared on the rows: one generic check refuses a flag given for the other
// target, and (for settings whose default means "off") a value in use, with one line naming the flag and the target.
TEST(SettingsTable, TheTargetIsAnEnumSpelledAsBefore) {
  TrainConfig c;
  EXPECT_EQ(c.target, ColourTarget::palette);
  EXPECT_EQ(to_json(c).at("target"), "palette");
  c = parse_flags({"--target", "ab-bins"});
  EXPECT_EQ(c.target, ColourTarget::ab_bins);
  EXPECT_EQ(to_json(c).at("target"), "ab-bins");
  auto old_run = to_json(TrainConfig{});
  old_run["target"] = "ab-bins";  // as every run directory written before the enum spells it
  EXPECT_EQ(config_from_json(old_run, "config.json").target, ColourTarget::ab_bins);
  old_run["target"] = "ab_bins";
  EXPECT_EQ(error_of([&] { config_from_json(old_run, "config.json"); }),
            "config.json: --target must be one of palette, ab-bins, got 'ab_bins'");
  for (const auto& [kind, name] : colour_target_names()) EXPECT_EQ(to_string(kind), name);
}

TEST(SettingsTable, RowsDeclareTheTargetsTheyApplyToAndOneCheckRefusesTheOthers) {
  // Parses `args` as `tint train` does, then runs the generic check of the flags given.
  const auto check = [](std::vector<std::string> args) {
    CLI::App app{"test"};
    TrainConfig config;
    cli::add_settings(app, train_settings(), config);
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return error_of([&] { cli::check_given_settings(app, train_settings(), config); });
  };
  EXPECT_EQ(check({"--target", "ab-bins", "--num-colours", "24"}),
            "--num-colours applies to --target palette only; with --target ab-bins the network has one logit per ab "
            "bin of the training images");
  EXPECT_EQ(check({"--decode", "mean"}),
            "--decode applies to --target ab-bins only; palette runs predict the argmax "
            "colour");
  EXPECT_EQ(check({"--temperature", "0.5"}),
            "--temperature applies to --target ab-bins only; palette runs predict the argmax colour");
  EXPECT_EQ(check({"--soft-targets", "5"}),
            "--soft-targets applies to --target ab-bins only; palette runs have hard "
            "targets");
  EXPECT_EQ(check({"--rebalance", "0.5"}),
            "--rebalance applies to --target ab-bins only; palette runs are not rebalanced");
  EXPECT_EQ(check({"--num-colours", "16", "--lr", "0.01"}), "");
  EXPECT_EQ(check({"--target", "ab-bins", "--decode", "mean", "--temperature", "0.2", "--soft-targets", "5"}), "");
  // A setting whose default means "off" is used by its value, not by its flag: --soft-targets 0 is no use of it.
  EXPECT_EQ(check({"--soft-targets", "0"}), "");
  // Every restricted row: applies to some targets, refuses the others naming its flag and --target.
  int restricted = 0;
  for (const auto& row : train_settings()) {
    if (!row.refuse_use) continue;
    ++restricted;
    int applies = 0;
    for (const auto& [kind, name] : colour_target_names()) {
      TrainConfig c;
      c.target = kind;
      const std::string why = row.refuse_use(c);
      if (why.empty()) {
        ++applies;
      } else {
        EXPECT_EQ(why.rfind(row.cli_name() + " applies to --target ", 0), 0u) << why;
        EXPECT_EQ(why.find(name + " only"), std::string::npos) << why;
      }
    }
    EXPECT_EQ(applies, 1) << row.flag;
  }
  EXPECT_EQ(restricted, 6);  // num-colours, palette; soft-targets, rebalance, decode, temperature
  // The library's check (config.json, sweeps, train()) reads values: the defaults of a palette run's decoding and
  // the num_colours an ab-bins run records are not uses.
  TrainConfig bins;
  bins.target = ColourTarget::ab_bins;
  bins.net.num_colours = 244;
  EXPECT_EQ(error_of([&] { check_target_settings(bins); }), "");
  bins.palette_file = "palette.json";
  EXPECT_EQ(error_of([&] { check_target_settings(bins); }),
            "--palette applies to --target palette only; ab-bins runs fit their bins on the training images");
  TrainConfig palette;
  EXPECT_EQ(error_of([&] { check_target_settings(palette); }), "");
  palette.rebalance = 0.5;
  EXPECT_EQ(error_of([&] { check_target_settings(palette); }),
            "--rebalance applies to --target ab-bins only; palette runs are not rebalanced");
}

TEST(ModelTable, NamesAreUniqueAndEveryRowBuildsTheNetworkItNames) {
  std::set<std::string> names;
  for (const auto& entry : models::model_table()) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    EXPECT_EQ(entry.make(models::ModelConfig{})->name(), entry.name);
    EXPECT_EQ(models::make_model(entry.name, models::ModelConfig{})->name(), entry.name);
    EXPECT_FALSE(entry.figure.empty());
  }
  EXPECT_EQ(names.size(), models::model_names().size());
  EXPECT_NE(error_of([] { models::make_model("resnet", {}); }).find("unknown model 'resnet'"), std::string::npos);
  // The --model row offers exactly the table's names.
  std::string names_text;
  for (const auto& n : models::model_names()) names_text += (names_text.empty() ? "" : "|") + n;
  EXPECT_EQ(find_setting(train_settings(), "model")->range, names_text);
}

}  // namespace
}  // namespace tint::train
