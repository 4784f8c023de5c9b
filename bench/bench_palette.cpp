// Palette benchmarks on the embedded horses: nearest-colour labelling of every training pixel, and the k-means fit.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/data/cifar10.h"
#include "tint/data/palette.h"
#include "tint/data/preprocess.h"

namespace {

const tint::data::Cifar10& horses() {
  static auto data = tint::data::read_cifar10(TINT_EMBEDDED_DATA, tint::data::Split::Train);
  return data;
}

void BM_PaletteLabel(benchmark::State& state) {
  tint::configure_threads(0);
  auto rgb = tint::data::to_unit_rgb(horses().images);  // 5,000 x 32 x 32 pixels
  auto palette = tint::data::Palette::fit(horses().images, {24, 0, 300});
  for (auto _ : state) benchmark::DoNotOptimize(palette.label(rgb));
  state.SetItemsProcessed(state.iterations() * rgb.numel() / 3);
  state.SetLabel("pixels");
}
BENCHMARK(BM_PaletteLabel)->Unit(benchmark::kMillisecond);

void BM_PaletteFit(benchmark::State& state) {
  tint::configure_threads(0);
  for (auto _ : state) benchmark::DoNotOptimize(tint::data::Palette::fit(horses().images, {24, 0, 300}));
  state.SetItemsProcessed(state.iterations() * horses().images.numel() / 3);
}
BENCHMARK(BM_PaletteFit)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
