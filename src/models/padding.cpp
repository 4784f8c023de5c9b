#include "tint/models/padding.h"

namespace tint::models {

int effective_kernel(int kernel, int dilation) { return dilation * (kernel - 1) + 1; }

SamePadding same_padding(int kernel, int dilation) {
  const int total = effective_kernel(kernel, dilation) - 1;
  return {total / 2, total - total / 2};
}

int halving_padding(int kernel, int dilation) { return (effective_kernel(kernel, dilation) - 1) / 2; }

TransposedPadding doubling_padding(int kernel, int dilation) {
  const int e = effective_kernel(kernel, dilation);
  const int p = (e - 1) / 2;
  return {p, 2 + 2 * p - e};
}

}  // namespace tint::models
