// PoolUpsampleNet's resampling at its shapes (batch 100): 2x2 max-pooling of block1's and block2's convolution
// outputs and 2x nearest upsampling of block3's and block4's, forward + backward, LibTorch's operators against
// tint's (ops/resample.h), fp32 and bf16.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/ops/resample.h"

namespace {

struct ResampleShape {
  int64_t channels, side;  // of the input
};
const ResampleShape kPoolShapes[] = {{32, 32}, {64, 16}};     // block1, block2 with NF = 32
const ResampleShape kUpsampleShapes[] = {{32, 8}, {24, 16}};  // block3, block4 with NC = 24

template <bool kPool, bool kTint, bool kBackward, bool kBf16>
void BM_Resample(benchmark::State& state) {
  tint::configure_threads(0);
  tint::tune_allocator();  // as the tint binary does
  const auto& s = (kPool ? kPoolShapes : kUpsampleShapes)[state.range(0)];
  torch::manual_seed(0);
  auto x = torch::randn({100, s.channels, s.side, s.side})
               .to(kBf16 ? torch::kBFloat16 : torch::kFloat)
               .contiguous(torch::MemoryFormat::ChannelsLast)
               .requires_grad_(kBackward);
  const auto run = [&] {
    if (kPool) return kTint ? tint::ops::max_pool2x2(x) : torch::max_pool2d(x, 2);
    return kTint ? tint::ops::upsample_nearest2x(x)
                 : torch::upsample_nearest2d(x, std::vector<int64_t>{2 * s.side, 2 * s.side});
  };
  const auto g = torch::randn_like(run());
  for (auto _ : state) {
    auto y = run();
    if (kBackward) benchmark::DoNotOptimize(torch::autograd::grad({y}, {x}, {g}));
    benchmark::DoNotOptimize(y);
  }
  state.SetBytesProcessed(state.iterations() * x.numel() * x.element_size());
}
#define TINT_RESAMPLE_BENCH(...) \
  BENCHMARK_TEMPLATE(BM_Resample, __VA_ARGS__)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)
TINT_RESAMPLE_BENCH(true, false, true, false);
TINT_RESAMPLE_BENCH(true, true, true, false);
TINT_RESAMPLE_BENCH(true, false, true, true);
TINT_RESAMPLE_BENCH(true, true, true, true);
TINT_RESAMPLE_BENCH(false, false, true, false);
TINT_RESAMPLE_BENCH(false, true, true, false);
TINT_RESAMPLE_BENCH(false, false, true, true);
TINT_RESAMPLE_BENCH(false, true, true, true);

}  // namespace
