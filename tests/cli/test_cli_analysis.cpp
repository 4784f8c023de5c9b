// End-to-end: `tint summary`, `tint conv` and `tint padding` as a user runs them — tables, totals, symbolic
// forms, verification, CSV output, and one-line errors with exit status 2.
#include <fstream>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace tint {
namespace {
using test::run_tint;

using test::count_lines;

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(CliSummary, ModelTableTotalsAndVerification) {
  auto r = run_tint("summary --model conv-transpose --verify");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // One row per layer of Figure 1b: 4 blocks of conv, batchnorm, relu + final, with the input.
  EXPECT_TRUE(has(r.out, "block3.0  convT 3x3 s2 p1 op1  32x16x16")) << r.out;
  // Defaults NIC 1, NF 32, NC 24, k 3: weights 9 (32 + 2*32^2 + 2*32^2 + 32*24 + 24^2) = 49248.
  EXPECT_TRUE(has(r.out, "totals: weights 49248, outputs 69632, connections 9510912")) << r.out;
  EXPECT_TRUE(has(r.out, "verify weights: ok")) << r.out;
  EXPECT_TRUE(has(r.out, "verify shapes: ok")) << r.out;
  EXPECT_TRUE(has(r.out, "verify receptive field: ok (unit (16, 16) of the network's output: its gradient reaches"))
      << r.out;
}

TEST(CliSummary, SymbolicAndDoubledInput) {
  auto r = run_tint("summary --model pool-upsample --symbolic --double-input");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "weights     = k^2*(NIC*NF + 4*NF^2 + NF*NC + NC^2)")) << r.out;
  EXPECT_TRUE(has(r.out, "outputs     = 2240*NF + 2304*NC")) << r.out;
  EXPECT_TRUE(has(r.out, "outputs     = 8960*NF + 9216*NC")) << r.out;  // 64x64: four times as many units
  EXPECT_TRUE(has(r.out, "input doubled to 64x64: weights 49248 (x1), outputs 507904 (x4)")) << r.out;
}

TEST(CliSummary, Question32Architectures) {
  auto cnn = run_tint("summary --arch 'conv3-32,maxpool,conv3-64,maxpool,conv3-3' --input 3x32x32 --verify");
  ASSERT_EQ(cnn.exit_code, 0) << cnn.err;
  EXPECT_TRUE(has(cnn.out, "totals: weights 21024, outputs 61632")) << cnn.out;
  EXPECT_TRUE(has(cnn.out, "verify receptive field: ok")) << cnn.out;
  // Measured through the network itself; with max pooling by raising pixels, which the output says.
  EXPECT_TRUE(has(cnn.out,
                  "of the network's output: raising one input pixel at a time (max pooling passes gradient to "
                  "one input per window) changes it for 324 pixels (rows 9..26, cols 9..26); analytic 324"))
      << cnn.out;
  auto fc = run_tint("summary --arch 'fc,maxpool,fc,maxpool,fc' --input 3x32x32 --include-input");
  ASSERT_EQ(fc.exit_code, 0) << fc.err;
  EXPECT_TRUE(has(fc.out, "totals: weights 10063872, outputs 8064")) << fc.out;  // 4992 + 3072 input units
}

TEST(CliSummary, WritesCsv) {
  test::TempDir tmp;
  auto r = run_tint("summary --model unet --kernel 4 --csv '" + (tmp / "unet.csv").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(tmp / "unet.csv");
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "layer,type,c,h,w,weights,outputs,connections,rf_h,rf_w,jump_h,jump_w");
  size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 16u);  // input, 4 blocks of 3, 2 concatenations, final
}

TEST(CliConv, MatrixAndFilterName) {
  auto r =
      run_tint("conv --input '0 0 0 0 0;0 1 1 1 0;0 1 1 1 0;0 1 1 1 0;0 0 0 0 0' --filter '0 -1 0;-1 4 -1;0 -1 0'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, " 0 -1 -1 -1  0\n-1  2  1  2 -1\n-1  1  0  1 -1\n")) << r.out;
  EXPECT_TRUE(has(r.out, "filter: edge detector (Laplacian)")) << r.out;
  auto valid = run_tint(
      "conv --input '1 2 3;4 5 6;7 8 9' --filter '-1 0 1;-2 0 2;-1 0 1' --mode correlation "
      "--padding valid");
  ASSERT_EQ(valid.exit_code, 0) << valid.err;
  // (3 - 1) + 2 (6 - 4) + (9 - 7) = 8
  EXPECT_TRUE(has(valid.out, "-> 1x1\n8\n")) << valid.out;
  EXPECT_TRUE(has(valid.out, "Sobel (vertical edges)")) << valid.out;
}

TEST(CliPadding, Question54AndNoSolution) {
  auto r = run_tint("padding --kernel 5 --stride 2 --in 16 --out 32 --transposed");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "best: padding=2, output_padding=1")) << r.out;
  EXPECT_TRUE(has(r.out, "ConvTranspose2d ran on 1x1x16x16 and gave 32x32")) << r.out;
  auto even = run_tint("padding --kernel 4 --in 32 --out 32");
  ASSERT_EQ(even.exit_code, 0) << even.err;
  EXPECT_TRUE(has(even.out, "padding 1 before and 2 after")) << even.out;
  auto none = run_tint("padding --kernel 3 --in 32 --out 40");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(has(none.err, "no padding")) << none.err;
  EXPECT_EQ(count_lines(none.err), 1u) << none.err;
}

TEST(CliAnalysis, BadFlagsGiveOneLineAndExitTwo) {
  for (const char* args :
       {"summary", "summary --model nope", "summary --model unet --arch conv3-8", "summary --arch 'conv3'",
        "summary --model unet --size 30", "summary --arch conv3-8 --kernel 5", "summary --arch conv3-8 --symbolic",
        "summary --arch conv3-8 --input 3x32", "conv --input '1 2;3' --filter '1'",
        "conv --input 1 --filter 1 --mode x", "padding --kernel 3 --in 32", "padding --kernel 0 --in 32 --out 32",
        "summary --model unet --no-such-flag"}) {
    auto r = run_tint(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_EQ(count_lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("tint: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace tint
