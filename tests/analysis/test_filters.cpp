// tint conv's library: the hand-written convolution against torch::conv2d (correlation as is, convolution with the
// filter flipped), a worked example, filter names, and the matrix parser's errors.
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/analysis/filters.h"
#include "tint/core/error.h"

namespace tint::analysis {
namespace {

Matrix random_matrix(std::mt19937& rng, int64_t rows, int64_t cols) {
  std::uniform_int_distribution<int> d(-4, 4);
  Matrix m{rows, cols, {}};
  for (int64_t i = 0; i < rows * cols; ++i) m.values.push_back(d(rng));
  return m;
}

torch::Tensor as_tensor(const Matrix& m) {  // (1, 1, rows, cols)
  return torch::tensor(m.values, torch::kDouble).view({1, 1, m.rows, m.cols});
}

TEST(Convolve, AgreesWithTorchConv2d) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t kr = 1 + trial % 4, kc = 1 + (trial / 4) % 4;  // odd and even filter sizes
    const auto in = random_matrix(rng, 5 + trial % 3, 6);
    const auto filter = random_matrix(rng, kr, kc);
    for (auto padding : {ConvPadding::Same, ConvPadding::Valid}) {
      // torch::conv2d is a correlation; 'same' pads (k-1)/2 before and the rest after, as filters.h says.
      auto x = as_tensor(in);
      if (padding == ConvPadding::Same)
        x = torch::constant_pad_nd(x, {(kc - 1) / 2, kc - 1 - (kc - 1) / 2, (kr - 1) / 2, kr - 1 - (kr - 1) / 2});
      const auto w = as_tensor(filter);
      const auto correlation = torch::conv2d(x, w).squeeze();
      const auto convolution = torch::conv2d(x, w.flip({2, 3})).squeeze();
      const auto ours_corr = convolve(in, filter, ConvMode::Correlation, padding);
      const auto ours_conv = convolve(in, filter, ConvMode::Convolution, padding);
      ASSERT_EQ(ours_corr.rows, correlation.size(0));
      ASSERT_EQ(ours_corr.cols, correlation.size(1));
      EXPECT_TRUE(torch::allclose(as_tensor(ours_corr).squeeze(), correlation)) << "trial " << trial;
      EXPECT_TRUE(torch::allclose(as_tensor(ours_conv).squeeze(), convolution)) << "trial " << trial;
    }
  }
}

TEST(Convolve, WorkedExampleByHand) {
  // A 3x3 block of ones in a 5x5 field of zeros, filtered by the 4-neighbour Laplacian (symmetric, so convolution
  // and correlation agree). Each output is 4 * centre - (up + down + left + right):
  //   corner of the block (1,1): 4*1 - (0 + 1 + 0 + 1) = 2;  edge (1,2): 4 - (0 + 1 + 1 + 1) = 1;  centre: 0
  //   outside next to the block, (0,1): 0 - (0 + 1 + 0 + 0) = -1;  the field's corners: 0
  const auto in = parse_matrix("0 0 0 0 0;0 1 1 1 0;0 1 1 1 0;0 1 1 1 0;0 0 0 0 0", "--input");
  const auto filter = parse_matrix("0 -1 0; -1 4 -1; 0 -1 0", "--filter");
  const auto expected = parse_matrix("0 -1 -1 -1 0;-1 2 1 2 -1;-1 1 0 1 -1;-1 2 1 2 -1;0 -1 -1 -1 0", "expected");
  EXPECT_EQ(convolve(in, filter, ConvMode::Convolution, ConvPadding::Same).values, expected.values);
  EXPECT_EQ(format_matrix(convolve(in, filter, ConvMode::Convolution, ConvPadding::Valid)), "2 1 2\n1 0 1\n2 1 2\n");
  // An asymmetric filter tells the modes apart: [1 2 3] correlates to 1*left + 2*centre + 3*right, and convolves
  // to 3*left + 2*centre + 1*right.
  const auto row = parse_matrix("1 0 0", "--input");
  EXPECT_EQ(convolve(row, parse_matrix("1 2 3", "f"), ConvMode::Correlation, ConvPadding::Same).values,
            (std::vector<double>{2, 1, 0}));
  EXPECT_EQ(convolve(row, parse_matrix("1 2 3", "f"), ConvMode::Convolution, ConvPadding::Same).values,
            (std::vector<double>{2, 3, 0}));
}

TEST(NameFilter, KnownFilters) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"0 -1 0;-1 4 -1;0 -1 0", "edge detector (Laplacian)"},
      {"-1 -1 -1;-1 8 -1;-1 -1 -1", "edge detector (Laplacian)"},
      {"0 1 0;1 -4 1;0 1 0", "edge detector (Laplacian, negated)"},
      {"0 -1 0;-1 5 -1;0 -1 0", "sharpen"},
      {"-1 -1 -1;-1 9 -1;-1 -1 -1", "sharpen"},
      {"1 1 1;1 1 1;1 1 1", "box blur"},
      {"0.111 0.111;0.111 0.111", "box blur"},
      {"1 2 1;2 4 2;1 2 1", "Gaussian blur"},
      {"0.0625 0.125 0.0625;0.125 0.25 0.125;0.0625 0.125 0.0625", "Gaussian blur"},
      {"-1 0 1;-2 0 2;-1 0 1", "Sobel (vertical edges)"},
      {"1 0 -1;2 0 -2;1 0 -1", "Sobel (vertical edges)"},
      {"1 2 1;0 0 0;-1 -2 -1", "Sobel (horizontal edges)"},
      {"-1 0 1;-1 0 1;-1 0 1", "Prewitt (vertical edges)"},
      {"-2 -1 0;-1 1 1;0 1 2", "emboss"},
      {"0 0 0;0 1 0;0 0 0", "identity"},
      {"1 -1", "edge detector (vertical edges)"},
      {"1;-1", "edge detector (horizontal edges)"},
      {"0 1;-1 0", "edge detector (diagonal edges)"},
      {"1 2 3;4 5 6;7 8 -9", ""},
  };
  for (const auto& [text, name] : cases) {
    const auto n = name_filter(parse_matrix(text, "--filter"));
    EXPECT_EQ(n.name, name) << text;
    EXPECT_FALSE(n.reason.empty()) << text;
  }
}

TEST(ParseMatrix, Errors) {
  EXPECT_THROW(parse_matrix("", "--input"), Error);
  EXPECT_THROW(parse_matrix("1 2;3", "--input"), Error);
  EXPECT_THROW(parse_matrix("1 two", "--input"), Error);
  EXPECT_NE(test::error_of([] { parse_matrix("1 2;3", "--filter"); }).find("--filter"), std::string::npos);
  const auto m = parse_matrix("1, 2.5;\n-3 4e1", "--input");
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.values, (std::vector<double>{1, 2.5, -3, 40}));
  EXPECT_THROW(convolve(m, parse_matrix("1 1 1", "f"), ConvMode::Convolution, ConvPadding::Valid), Error);
}

}  // namespace
}  // namespace tint::analysis
