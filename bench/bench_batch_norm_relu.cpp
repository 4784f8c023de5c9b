// Batchnorm + ReLU on channels-last activations at ConvTransposeNet's shapes (batch 100), forward and
// forward + backward: LibTorch's two operators against tint's fused one (ops/batch_norm_relu.h), fp32 and bf16.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/ops/batch_norm_relu.h"

namespace {

struct BatchNormShape {
  int64_t channels, side;
};
const BatchNormShape kBatchNormShapes[] = {
    {32, 16}, {64, 8}, {24, 32}};  // block1/3, block2, block4 with NF = 32, NC = 24

template <bool kTint, bool kBackward, bool kBf16>
void BM_BatchNormReLU(benchmark::State& state) {
  tint::configure_threads(0);
  tint::tune_allocator();  // as the tint binary does: without it every 10 MB activation is fresh zeroed pages
  const auto& s = kBatchNormShapes[state.range(0)];
  torch::manual_seed(0);
  auto x = torch::randn({100, s.channels, s.side, s.side})
               .to(kBf16 ? torch::kBFloat16 : torch::kFloat)
               .contiguous(torch::MemoryFormat::ChannelsLast)
               .requires_grad_(kBackward);
  auto w = torch::ones({s.channels}, torch::requires_grad(kBackward));
  auto b = torch::zeros({s.channels}, torch::requires_grad(kBackward));
  auto rm = torch::zeros({s.channels}), rv = torch::ones({s.channels});
  const auto g = torch::randn_like(x);
  for (auto _ : state) {
    auto y = kTint ? tint::ops::batch_norm_relu(x, w, b, rm, rv, true, 0.1, 1e-5)
                   : torch::relu(torch::batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5, true));
    if (kBackward) benchmark::DoNotOptimize(torch::autograd::grad({y}, {x, w, b}, {g}));  // no accumulation
    benchmark::DoNotOptimize(y);
  }
  state.SetBytesProcessed(state.iterations() * x.numel() * x.element_size());
}
#define TINT_BN_BENCH(...) \
  BENCHMARK_TEMPLATE(BM_BatchNormReLU, __VA_ARGS__)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)
TINT_BN_BENCH(false, false, false);
TINT_BN_BENCH(true, false, false);
TINT_BN_BENCH(false, true, false);
TINT_BN_BENCH(true, true, false);
TINT_BN_BENCH(false, true, true);
TINT_BN_BENCH(true, true, true);

}  // namespace
