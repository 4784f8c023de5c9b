// Transposed convolution, forward and forward + backward, at ConvTransposeNet's shapes (batch 100):
// LibTorch's torch::conv_transpose2d against tint's oneDNN adjoint formulation (ops/conv_transpose.h).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/ops/conv_transpose.h"

namespace {

struct TransposeShape {
  int64_t c_in, c_out, side;
};
const TransposeShape kTransposeShapes[] = {{64, 32, 8}, {32, 24, 16}};  // block3, block4 with NF = 32, NC = 24

template <bool kTint, bool kBackward>
void BM_ConvTranspose(benchmark::State& state) {
  tint::configure_threads(0);
  const auto& s = kTransposeShapes[state.range(0)];
  torch::manual_seed(0);
  auto x = torch::randn({100, s.c_in, s.side, s.side}, torch::requires_grad(kBackward));
  auto w = torch::randn({s.c_in, s.c_out, 3, 3}, torch::requires_grad(kBackward));
  auto b = torch::randn({s.c_out}, torch::requires_grad(kBackward));
  for (auto _ : state) {
    auto y = kTint ? tint::ops::conv_transpose2d(x, w, b, {2, 2}, {1, 1}, {1, 1}, {1, 1})
                   : torch::conv_transpose2d(x, w, b, {2, 2}, {1, 1}, {1, 1}, 1, {1, 1});
    if (kBackward) y.sum().backward();
    benchmark::DoNotOptimize(y);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK_TEMPLATE(BM_ConvTranspose, false, false)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvTranspose, true, false)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvTranspose, false, true)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvTranspose, true, true)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
