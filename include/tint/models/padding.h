// The one place that decides paddings, so every network keeps the figure's shapes for any kernel (question 5.4).
//
// With an effective kernel e = dilation * (kernel - 1) + 1:
//   stride-1 'same' convolution: total padding e - 1, split (e-1)/2 before and e/2 after (asymmetric when e is even);
//   stride-2 convolution, H -> H/2 (H even):   padding p = (e - 1) / 2;
//   stride-2 transposed convolution, H -> 2H:  padding p = (e - 1) / 2 and output_padding 2 + 2p - e (0 or 1).
// For the source's kernel 3 these give padding 1 and output_padding 1, as the text prescribes.
#pragma once

namespace tint::models {

struct SamePadding {
  int before = 0;  // top / left
  int after = 0;   // bottom / right
  bool symmetric() const { return before == after; }
};

struct TransposedPadding {
  int padding = 0;
  int output_padding = 0;
};

int effective_kernel(int kernel, int dilation);
SamePadding same_padding(int kernel, int dilation = 1);
int halving_padding(int kernel, int dilation = 1);
TransposedPadding doubling_padding(int kernel, int dilation = 1);

}  // namespace tint::models
