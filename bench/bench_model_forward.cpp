// The models' forward() runs their figure_layers list (models/colour_net.h) rather than hand-chained calls. This
// measures what the list costs: forward + backward of each network at batch 100 (32x32, fp32, channels-last)
// through forward(), against the same modules called in a hand-written chain, in one run.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "tint/core/runtime.h"
#include "tint/models/conv_transpose_net.h"
#include "tint/models/model_table.h"
#include "tint/models/unet.h"

namespace {

using tint::models::ColourNet;

// The chain a hand-written forward() would be; UNet concatenates as its figure says.
torch::Tensor chained(const ColourNet& net, const torch::Tensor& x) {
  auto call = [&](const char* name, const torch::Tensor& in) {
    for (const auto& l : net->figure_layers()) {
      if (l.name == name) return const_cast<torch::nn::AnyModule&>(l.module).forward(in);
    }
    throw std::runtime_error(name);
  };
  if (net->name() != "unet") return call("final", call("block4", call("block3", call("block2", call("block1", x)))));
  auto out1 = call("block1", x);
  auto out3 = call("block3", call("block2", out1));
  auto out4 = call("block4", torch::cat({out3, out1}, 1));
  return call("final", torch::cat({out4, x}, 1));
}

template <bool kFigureList>
void BM_ModelForwardBackward(benchmark::State& state) {
  tint::configure_threads(0);
  const auto& name = tint::models::model_names()[state.range(0)];
  torch::manual_seed(0);
  auto net = tint::models::make_model(name, {});
  auto x = torch::rand({100, 1, 32, 32}).contiguous(torch::MemoryFormat::ChannelsLast);
  net->forward(x);  // weights to channels-last once, as in training
  for (auto _ : state) {
    auto y = kFigureList ? net->forward(x) : chained(net, x);
    y.sum().backward();
    benchmark::DoNotOptimize(y);
  }
  state.SetLabel(name);
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK_TEMPLATE(BM_ModelForwardBackward, false)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ModelForwardBackward, true)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);

}  // namespace
