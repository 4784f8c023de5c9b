// Which padding gives a wanted output size (question 5.4): a general solver of PyTorch's shape formulas
//   Conv2d:           out = floor((in + before + after - e) / S) + 1
//   ConvTranspose2d:  out = (in - 1) S - 2p + e + output_padding
// with e = D (K - 1) + 1, searched over every sensible padding (0 <= padding < e, so that no output is made of
// padding alone; 0 <= output_padding < max(S, D), as PyTorch requires). For a convolution it lists the symmetric
// paddings that work; when none does, the smallest asymmetric one (the extra zero after, as 'same' padding does).
// It does not use the networks' rule (models/padding.h); the tests check that the two agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tint::analysis {

struct PaddingProblem {
  int kernel = 3, stride = 1, dilation = 1;
  int64_t in = 32, out = 32;
  bool transposed = false;
};

struct PaddingSolution {
  int before = 0, after = 0;  // zeros added (convolution) or rows removed (transposed: before == after)
  int output_padding = 0;     // transposed only
  bool symmetric() const { return before == after; }
};

struct PaddingAnswer {
  std::vector<PaddingSolution> solutions;  // best first: least padding, then least output padding
  std::string reason;                      // when there is none: why, with the sizes that are reachable
};

// Throws tint::Error naming the flag for impossible settings (kernel < 1, sizes < 1, ...).
PaddingAnswer solve_padding(const PaddingProblem& problem);

// The output size PyTorch's formula gives for `solution`.
int64_t output_size(const PaddingProblem& problem, const PaddingSolution& solution);

// The output size of a real LibTorch layer (Conv2d, or explicit zero padding + Conv2d when asymmetric, or
// ConvTranspose2d) built with `solution` and run on a (1, 1, in, in) input.
int64_t run_layer(const PaddingProblem& problem, const PaddingSolution& solution);

// "out = floor((32 + 1 + 1 - 3) / 2) + 1 = 16" for printing.
std::string formula(const PaddingProblem& problem, const PaddingSolution& solution);

}  // namespace tint::analysis
