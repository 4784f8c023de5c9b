// Softmax cross-entropy of logits read as a (pixels, colours) matrix, forward and forward + backward: LibTorch's
// log_softmax + nll_loss against tint's fused op (ops/cross_entropy.h) with each of its kernels
// (ops/cross_entropy_kernels.h).
//   BM_CrossEntropy:      ConvTransposeNet's logits at batch 100, 102,400 x 24 (the palette): LibTorch against the op.
//   BM_CrossEntropyWide:  244 ab bins (all of CIFAR-10), rows of 100 x 32 x 32 (CIFAR-10's batch) and 16 x 64 x 64
//                         pixels, forward + gradient with rebalancing weights: LibTorch, the lanes kernel (made for
//                         24 colours) and the wide kernel (made for these rows), in one run.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "ops/cross_entropy_kernels.h"
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

// Which computes the loss: LibTorch (log_softmax + nll_loss, the weights applied to its per-row losses, as the op's
// fallback does), or the op with its lanes or its wide kernel.
enum class Computed { libtorch, lanes, wide };

// Arguments: the pixel count (rows), the classes, bfloat16 (1) or float32 (0) logits.
template <Computed kBy>
void BM_CrossEntropyWide(benchmark::State& state) {
  tint::configure_threads(0);
  tint::tune_allocator();
  torch::manual_seed(0);
  const int64_t rows = state.range(0), classes = state.range(1);
  const auto type = state.range(2) != 0 ? torch::kBFloat16 : torch::kFloat;
  auto logits = torch::randn({rows, classes}).to(type).requires_grad_(true);
  const auto ids = torch::randint(0, classes, {rows});
  const auto weights = torch::rand({rows}) + 0.5;
  namespace F = torch::nn::functional;
  for (auto _ : state) {
    torch::Tensor loss;
    if (kBy == Computed::libtorch) {
      loss = (F::cross_entropy(logits.to(torch::kFloat), ids, F::CrossEntropyFuncOptions().reduction(torch::kNone)) *
              weights)
                 .mean();
    } else {
      const auto kernel = kBy == Computed::wide ? tint::ops::cpu::RowKernel::wide : tint::ops::cpu::RowKernel::lanes;
      loss = tint::ops::cpu::cross_entropy_with(kernel, logits, ids, false, weights);
    }
    benchmark::DoNotOptimize(torch::autograd::grad({loss}, {logits}));
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
void wide_shapes(benchmark::internal::Benchmark* b) {
  for (int64_t bf16 : {0, 1}) {
    b->Args({100 * 32 * 32, 244, bf16});
    b->Args({16 * 64 * 64, 244, bf16});
  }
  b->Args({100 * 32 * 32, 64, 0});  // at the threshold (kWideClasses)
  b->Args({100 * 32 * 32, 48, 0});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK_TEMPLATE(BM_CrossEntropyWide, Computed::libtorch)->Apply(wide_shapes);
BENCHMARK_TEMPLATE(BM_CrossEntropyWide, Computed::lanes)->Apply(wide_shapes);
BENCHMARK_TEMPLATE(BM_CrossEntropyWide, Computed::wide)->Apply(wide_shapes);

}  // namespace
