// Report layer: image grids place each image where expected, CSV tables quote text, gnuplot renders a PNG.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/report/image_grid.h"
#include "tint/report/plot.h"
#include "tint/report/table.h"

namespace tint::report {
namespace {

TEST(ImageGrid, PlacesImagesWithPaddingAndScale) {
  auto grey = torch::full({2, 1, 3, 3}, 0.25f);
  auto rgb = torch::zeros({1, 3, 3, 3});
  rgb.select(1, 0).fill_(1.0f);
  auto grid = make_grid({grey, rgb}, /*pad=*/1, /*scale=*/2);
  // 2 rows of 6x6 images, 2 columns, 1-pixel padding: (3, 1 + 2*7, 1 + 2*7).
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{3, 15, 15}));
  EXPECT_FLOAT_EQ(grid[1][1][1].item<float>(), 0.25f);  // first grey image, green channel
  EXPECT_FLOAT_EQ(grid[0][8][1].item<float>(), 1.0f);   // second row starts at y = 1 + 7
  EXPECT_FLOAT_EQ(grid[1][8][1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(grid[0][8][8].item<float>(), 1.0f);  // missing cell stays white
  EXPECT_FLOAT_EQ(grid[0][0][0].item<float>(), 1.0f);  // padding is white
}

TEST(ImageGrid, PaletteSwatchHasOneSquarePerColour) {
  auto swatch = palette_swatch(torch::tensor({{1.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 1.0f}}), 4);
  ASSERT_EQ(swatch.sizes(), (std::vector<int64_t>{3, 4, 8}));
  EXPECT_FLOAT_EQ(swatch[0][3][3].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(swatch[2][3][4].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(swatch[0][0][7].item<float>(), 0.0f);
}

TEST(Table, WritesCsvWithQuotedText) {
  Table t({"name", "value"});
  t.add_text_row({"a,b", "1"});
  EXPECT_EQ(t.to_csv(), "name,value\n\"a,b\",1\n");
  Table n({"x", "y"});
  n.add_row({0.5, 1e-12});
  EXPECT_EQ(n.to_csv(), "x,y\n0.5,1e-12\n");
  EXPECT_THROW(n.add_row({1.0}), Error);
}

// Found by fuzz/fuzz_metrics_csv.cpp: a cell holding a carriage return was written bare, and parse_csv (which ends
// a row at \r as at \n) read it back as two rows. A row of one empty cell would be an empty line, which readers
// skip. Both are now quoted, and every table reads back as written.
TEST(Table, CellsWithLineEndsAndALoneEmptyCellReadBack) {
  Table t({"text"});
  for (const char* cell : {"a\rb", "", "c\r\nd", "e\nf", "\"", ","}) t.add_text_row({cell});
  EXPECT_EQ(t.to_csv(), "text\n\"a\rb\"\n\"\"\n\"c\r\nd\"\n\"e\nf\"\n\"\"\"\"\n\",\"\n");
  EXPECT_EQ(parse_csv(t.to_csv()),
            (std::vector<std::vector<std::string>>{{"text"}, {"a\rb"}, {""}, {"c\r\nd"}, {"e\nf"}, {"\""}, {","}}));
  Table two({"x", "y"});
  two.add_text_row({"", ""});
  EXPECT_EQ(two.to_csv(), "x,y\n,\n");  // an empty cell beside another stays bare
  EXPECT_EQ(parse_csv(two.to_csv()), (std::vector<std::vector<std::string>>{{"x", "y"}, {"", ""}}));
}

TEST(Plot, GnuplotRendersAPngBesideItsScriptAndData) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(gnuplot_available(), "gnuplot (apt-get install gnuplot-nox; scripts/deps.sh does)"));
  test::TempDir tmp;
  Table t({"epoch", "loss", "acc"});
  for (int i = 1; i <= 5; ++i) t.add_row({double(i), 1.0 / i, 10.0 * i});
  t.save(tmp / "curve.csv");
  LinePlot plot{"Test", "epoch", "loss", "accuracy (%)"};
  plot.series = {{"curve.csv", "epoch", "loss", "loss"}, {"curve.csv", "epoch", "acc", "acc", true}};
  plot_lines(tmp / "curve.png", plot);
  auto image = data::read_image(tmp / "curve.png");
  EXPECT_EQ(image.size(0), 3);
  EXPECT_EQ(image.size(2), 900);
  EXPECT_GT(image.to(torch::kFloat32).std().item<float>(), 1.0f);  // not a blank canvas
  EXPECT_TRUE(std::filesystem::exists(tmp / "curve.gp"));
}

TEST(Plot, GnuplotErrorsAreReported) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(gnuplot_available(), "gnuplot (apt-get install gnuplot-nox; scripts/deps.sh does)"));
  test::TempDir tmp;
  LinePlot plot{"Bad", "x", "y"};
  plot.series = {{"absent.csv", "x", "y", "y"}};
  try {
    plot_lines(tmp / "bad.png", plot);
    FAIL() << "plot of a missing file succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot failed"), std::string::npos) << e.what();
    // gnuplot's own message, read back from the in-memory file its stderr went to.
    EXPECT_NE(std::string(e.what()).find("absent.csv"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "bad.png"));
}

}  // namespace
}  // namespace tint::report
