// PoolUpsampleNet's first block at its shape (batch 100, greyscale 32 x 32 input, 32 filters of 3 x 3): the
// convolution and the 2x2 max-pooling, forward + weight gradient, LibTorch's operators (conv2d through oneDNN, then
// max_pool2d) against tint's fused ops::conv_max_pool2x2, fp32 and bf16. The input has NHWC strides, as in the model.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/ops/conv_max_pool.h"

namespace {

template <bool kTint, bool kBf16>
void BM_ConvMaxPool(benchmark::State& state) {
  tint::configure_threads(0);
  tint::tune_allocator();  // as the tint binary does
  torch::manual_seed(0);
  const auto type = kBf16 ? torch::kBFloat16 : torch::kFloat;
  const auto x = torch::empty_strided({100, 1, 32, 32}, {1024, 1, 32, 1}, type).normal_();
  auto w = torch::randn({32, 1, 3, 3}).to(type).requires_grad_(true);
  const auto run = [&] {
    return kTint ? tint::ops::conv_max_pool2x2(x, w, {1, 1}) : torch::max_pool2d(torch::conv2d(x, w, {}, 1, 1), 2);
  };
  const auto g = torch::randn_like(run());
  for (auto _ : state) {
    auto y = run();
    benchmark::DoNotOptimize(torch::autograd::grad({y}, {w}, {g}));
  }
}
BENCHMARK_TEMPLATE(BM_ConvMaxPool, false, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvMaxPool, true, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvMaxPool, false, true)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvMaxPool, true, true)->Unit(benchmark::kMillisecond);

}  // namespace
