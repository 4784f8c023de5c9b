// Padding search over PyTorch's Conv2d / ConvTranspose2d shape formulas, and a run of the real layer to confirm.
#include "tint/analysis/padding_solver.h"

#include <algorithm>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::analysis {

namespace {

int effective(const PaddingProblem& p) { return p.dilation * (p.kernel - 1) + 1; }

void validate(const PaddingProblem& p) {
  auto need = [](bool ok, const std::string& message) {
    if (!ok) throw Error(message);
  };
  need(p.kernel >= 1 && p.kernel <= 64, fmt::format("--kernel must be in 1..64, got {}", p.kernel));
  need(p.stride >= 1 && p.stride <= 64, fmt::format("--stride must be in 1..64, got {}", p.stride));
  need(p.dilation >= 1 && p.dilation <= 64, fmt::format("--dilation must be in 1..64, got {}", p.dilation));
  need(p.in >= 1 && p.in <= 100000, fmt::format("--in must be in 1..100000, got {}", p.in));
  need(p.out >= 1 && p.out <= 1000000, fmt::format("--out must be in 1..1000000, got {}", p.out));
}

}  // namespace

int64_t output_size(const PaddingProblem& p, const PaddingSolution& s) {
  const int e = effective(p);
  if (p.transposed) return (p.in - 1) * p.stride - s.before - s.after + e + s.output_padding;
  const int64_t span = p.in + s.before + s.after - e;
  return span < 0 ? 0 : span / p.stride + 1;
}

PaddingAnswer solve_padding(const PaddingProblem& p) {
  validate(p);
  const int e = effective(p);
  PaddingAnswer a;
  if (p.transposed) {
    for (int pad = 0; pad < e; ++pad)
      for (int op = 0; op < std::max(p.stride, p.dilation); ++op) {
        PaddingSolution s{pad, pad, op};
        if (output_size(p, s) == p.out) a.solutions.push_back(s);
      }
    if (a.solutions.empty()) {
      const int max_op = std::max(p.stride, p.dilation) - 1;
      const int64_t largest = output_size(p, {0, 0, max_op}), smallest = output_size(p, {e - 1, e - 1, 0});
      a.reason = fmt::format("no padding in 0..{} with output_padding in 0..{} gives {}: this layer reaches {}..{}",
                             e - 1, max_op, p.out, smallest, largest);
      if (p.out >= smallest && p.out <= largest)
        a.reason +=
            fmt::format(" but skips {} (2p - output_padding must equal {})", p.out, (p.in - 1) * p.stride + e - p.out);
    }
    return a;
  }
  for (int pad = 0; pad < e; ++pad) {
    PaddingSolution s{pad, pad, 0};
    if (output_size(p, s) == p.out) a.solutions.push_back(s);
  }
  if (a.solutions.empty()) {
    // No symmetric padding: the least total that works, one more zero after than before.
    for (int total = 1; total <= 2 * (e - 1) && a.solutions.empty(); total += 2) {
      PaddingSolution s{total / 2, total - total / 2, 0};
      if (output_size(p, s) == p.out) a.solutions.push_back(s);
    }
  }
  if (a.solutions.empty()) {
    const int64_t smallest = output_size(p, {0, 0, 0}), largest = output_size(p, {e - 1, e - 1, 0});
    a.reason = fmt::format("no padding in 0..{} per side gives {}: this layer reaches {}..{}", e - 1, p.out, smallest,
                           largest);
  }
  return a;
}

int64_t run_layer(const PaddingProblem& p, const PaddingSolution& s) {
  namespace nn = torch::nn;
  torch::NoGradGuard no_grad;
  auto x = torch::zeros({1, 1, p.in, p.in});  // (N, C, H, W)
  torch::Tensor y;
  if (p.transposed) {
    nn::ConvTranspose2d layer(nn::ConvTranspose2dOptions(1, 1, /*kernel_size=*/p.kernel)
                                  .stride(p.stride)
                                  .padding(s.before)
                                  .output_padding(s.output_padding)
                                  .dilation(p.dilation));
    y = layer(x);
  } else {
    nn::Conv2d layer(nn::Conv2dOptions(1, 1, /*kernel_size=*/p.kernel)
                         .stride(p.stride)
                         .dilation(p.dilation)
                         .padding(s.symmetric() ? s.before : 0));
    y = layer(s.symmetric() ? x : torch::constant_pad_nd(x, {s.before, s.after, s.before, s.after}));
  }
  TORCH_CHECK(y.size(2) == y.size(3), "a square input gave a non-square output ", y.sizes());
  return y.size(2);
}

std::string formula(const PaddingProblem& p, const PaddingSolution& s) {
  const int e = effective(p);
  if (p.transposed)
    return fmt::format("out = ({} - 1)*{} - 2*{} + {} + {} = {}", p.in, p.stride, s.before, e, s.output_padding,
                       output_size(p, s));
  return fmt::format("out = floor(({} + {} + {} - {}) / {}) + 1 = {}", p.in, s.before, s.after, e, p.stride,
                     output_size(p, s));
}

}  // namespace tint::analysis
