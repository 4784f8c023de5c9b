// Softmax cross-entropy of ConvTransposeNet's logits read as a (pixels, colours) matrix (batch 100: 102,400 x 24),
// forward and forward + backward: LibTorch's log_softmax + nll_loss against tint's fused op (ops/cross_entropy.h).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/ops/cross_entropy.h"

namespace {

template <bool kTint, bool kBackward, bool kBf16>
void BM_CrossEntropy(benchmark::State& state) {
  tint::configure_threads(0);
  tint::tune_allocator();  // as the tint binary does
  torch::manual_seed(0);
  auto logits = torch::randn({102400, 24}).to(kBf16 ? torch::kBFloat16 : torch::kFloat).requires_grad_(kBackward);
  const auto ids = torch::randint(0, 24, {102400});
  for (auto _ : state) {
    auto loss = kTint ? tint::ops::cross_entropy(logits, ids)
                      : torch::nn::functional::cross_entropy(logits.to(torch::kFloat), ids);  // autocast's fp32
    if (kBackward) benchmark::DoNotOptimize(torch::autograd::grad({loss}, {logits}));
    benchmark::DoNotOptimize(loss);
  }
  state.SetItemsProcessed(state.iterations() * logits.size(0));
}
BENCHMARK_TEMPLATE(BM_CrossEntropy, false, false, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CrossEntropy, true, false, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CrossEntropy, false, true, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CrossEntropy, true, true, false)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CrossEntropy, false, true, true)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CrossEntropy, true, true, true)->Unit(benchmark::kMillisecond);

}  // namespace
