// End-to-end: the `tint` binary's help, version, flag errors and the palette job on the embedded horses.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/data/palette.h"

namespace tint {
namespace {
using test::run_tint;

using test::count_lines;

TEST(Cli, HelpAndVersion) {
  auto help = run_tint("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("palette"), std::string::npos);
  auto version = run_tint("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("tint 0."), std::string::npos);
  auto sub = run_tint("palette --help");
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.out.find("--category"), std::string::npos);
}

// Test hooks live in the tests (tests/support/kill_at_rename.cpp, preloaded), never in what users run: no switch
// named TINT_TEST_* may be read by the product binary (an environment variable that makes it SIGKILL itself was).
TEST(Cli, TheProductBinaryCarriesNoTestHook) {
  const std::string binary = read_file(test::tint_binary());
  ASSERT_GT(binary.size(), 1000000u);
  EXPECT_EQ(binary.find("TINT_TEST_"), std::string::npos) << test::tint_binary() << " reads a test switch";
}

TEST(Cli, UnknownFlagAndBadValueGiveOneLineAndExitTwo) {
  for (const char* args :
       {"palette --no-such-flag", "palette --num-colours 1", "palette --num-colours abc", "frobnicate", ""}) {
    auto r = run_tint(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(count_lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("tint: ", 0), 0u) << r.err;
  }
}

TEST(Cli, MissingDataDirectoryIsNamed) {
  test::TempDir tmp;
  auto r = run_tint("palette --data '" + (tmp / "nowhere").string() + "' --out '" + (tmp / "p").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(Cli, PaletteJobOnEmbeddedHorses) {
  test::TempDir tmp;
  auto r = run_tint("palette --category horse --num-colours 24 --seed 0 --out '" + tmp.path().string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("24 colours from 5120000 pixels of 5000 'horse'"), std::string::npos) << r.out;
  auto palette = data::Palette::load(tmp / "palette.json");
  EXPECT_EQ(palette.size(), 24);
  EXPECT_EQ(palette.category(), "horse");
  auto swatch = data::read_image(tmp / "palette.png");
  EXPECT_EQ(swatch.size(2), 24 * 32);
  // Same seed, same palette: a second run writes identical JSON.
  test::TempDir again;
  ASSERT_EQ(run_tint("palette --seed 0 --out '" + again.path().string() + "'").exit_code, 0);
  EXPECT_TRUE(data::Palette::load(again / "palette.json").colours().equal(palette.colours()));
}

}  // namespace
}  // namespace tint
