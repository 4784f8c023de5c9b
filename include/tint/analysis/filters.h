// Question 3.1 by hand: 2-D convolution and correlation of a small matrix with a filter, with zero 'same' or
// 'valid' padding, written out as the sums of their definitions (the tests compare them with torch::conv2d), and
// the name of a filter when it is a known one (identity, box / Gaussian blur, sharpen, Laplacian, Sobel, Prewitt,
// emboss, or a generic edge / gradient detector), with a one-line reason.
//
//   correlation:  out(i, j) = sum_{u,v} in(i + u - b, j + v - b) * filter(u, v)
//   convolution:  the same with the filter rotated by 180 degrees (filter(K-1-u, L-1-v)), as the lecture defines
// where b is the padding before: 'same' pads (K-1)/2 zeros before and the rest after (one more after for an even
// filter, as the networks' 'same' convolutions do); 'valid' pads nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tint::analysis {

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> values;  // row-major
  double at(int64_t r, int64_t c) const { return values[static_cast<size_t>(r * cols + c)]; }
  double& at(int64_t r, int64_t c) { return values[static_cast<size_t>(r * cols + c)]; }
};

// "0 0 0; 0 1 1; 0 1 0": rows separated by ';' (or new lines), entries by spaces or commas. Throws tint::Error
// naming `flag` for ragged rows, empty input or a bad number.
Matrix parse_matrix(const std::string& text, const std::string& flag);

enum class ConvMode { Correlation, Convolution };
enum class ConvPadding { Same, Valid };

Matrix convolve(const Matrix& input, const Matrix& filter, ConvMode mode, ConvPadding padding);

// Zeros added before / after each axis for 'same' padding with a filter of size k.
int same_before(int64_t k);

struct FilterName {
  std::string name;    // empty when the filter is not a known kind
  std::string reason;  // why it is that kind, or what it is like when unknown
};
FilterName name_filter(const Matrix& filter);

// Right-aligned columns, numbers in their shortest exact form ("4", "-1", "0.25").
std::string format_matrix(const Matrix& m);

}  // namespace tint::analysis
