// Cross-checks of a layer graph against its network: parameters, forward shapes, measured receptive field.
#include "tint/analysis/verify.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/analysis/receptive_field.h"

namespace tint::analysis {

namespace {

int64_t numel_of(const std::vector<torch::Tensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.numel();
  return n;
}

Check check_weights(const LayerGraph& graph, torch::nn::Module& owner) {
  const Counting everything{/*include_bias=*/true, /*include_batchnorm=*/true, /*include_input=*/false};
  Check c{"weights", true, ""};
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    const Layer& l = graph.layers[i];
    if (l.module.is_empty()) continue;
    const int64_t counted = count_layer(graph, static_cast<int>(i), everything).weights;
    const int64_t actual = numel_of(l.module.ptr()->parameters());
    if (counted != actual) {
      c.passed = false;
      c.detail += fmt::format("layer {}: counted {} parameters, the module has {}; ", l.name, counted, actual);
    }
  }
  const int64_t counted = count_total(graph, everything).weights;
  const int64_t actual = numel_of(owner.parameters());
  int64_t kernels = 0;  // kernels and matrices: what the default counting calls weights
  for (const auto& p : owner.parameters())
    if (p.dim() >= 2) kernels += p.numel();
  const int64_t counted_kernels = count_total(graph, Counting{}).weights;
  if (counted != actual || counted_kernels != kernels) c.passed = false;
  c.detail += fmt::format("{} parameters counted, {} in the module; {} kernel weights counted, {} in the module",
                          counted, actual, counted_kernels, kernels);
  return c;
}

Check check_shapes(const LayerGraph& graph, torch::nn::Module& owner,
                   const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  Check c{"shapes", true, ""};
  owner.eval();
  torch::NoGradGuard no_grad;
  const Shape& in = graph.layers.front().out;
  auto x = torch::rand({2, in.c, in.h, in.w});  // (N, C, H, W)
  const auto outs = run_graph(graph, x);
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    const Shape& s = graph.layers[i].out;
    if (outs[i].sizes() != torch::IntArrayRef({2, s.c, s.h, s.w})) {
      c.passed = false;
      c.detail += fmt::format("layer {}: inferred {}, ran {}; ", graph.layers[i].name, to_string(s),
                              fmt::join(outs[i].sizes().vec(), "x"));
    }
  }
  const auto y = forward(x);
  // Close rather than bitwise equal: a network may compute a layer through a faster kernel of the same function
  // (a subclass whose forward() the generic module handle does not reach); a wiring error changes whole values.
  const bool same = y.sizes() == outs.back().sizes() && torch::allclose(y, outs.back(), 1e-4, 1e-5);
  if (!same) c.passed = false;
  c.detail += fmt::format(
      "{} layers ran with the inferred shapes; the network's forward() {} the layer-by-layer "
      "result",
      graph.layers.size(), same ? "reproduces" : "DIFFERS FROM");
  return c;
}

Check check_field(const LayerGraph& graph, torch::nn::Module& owner,
                  const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  Check c{"receptive field", false, ""};
  prepare_for_measurement(owner);
  bool has_max_pool = false;
  for (const auto& l : graph.layers) has_max_pool = has_max_pool || l.kind == LayerKind::MaxPool;
  const int last = static_cast<int>(graph.layers.size()) - 1;
  const Shape& out = graph.layers.back().out;
  const int64_t row = out.h / 2, col = out.w / 2;
  const auto expected = unit_field(graph, last, row, col);
  // Both through the network's own forward(). Max pooling passes gradient to one input per window, so there the
  // field is measured by raising input pixels instead of by backpropagation.
  const auto measured = has_max_pool
                            ? measure_field_by_raising(forward, graph.layers.front().out, 0, row, col, expected)
                            : measure_field(forward, graph.layers.front().out, 0, row, col);
  c.passed = measured.rows == expected.rows && measured.cols == expected.cols && measured.pixels == expected.pixels;
  auto range = [](const std::vector<int64_t>& v) {
    return v.empty() ? std::string("none") : fmt::format("{}..{}", v.front(), v.back());
  };
  c.detail = fmt::format(
      "unit ({}, {}) of the network's output: {} {} pixels (rows {}, cols {}); analytic {} pixels (rows {}, cols {})",
      row, col,
      has_max_pool ? "raising one input pixel at a time (max pooling passes gradient to one input per window) changes "
                     "it for"
                   : "its gradient reaches",
      measured.pixels, range(measured.rows), range(measured.cols), expected.pixels, range(expected.rows),
      range(expected.cols));
  return c;
}

}  // namespace

std::vector<Check> verify_graph(const LayerGraph& graph, torch::nn::Module& owner,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  return {check_weights(graph, owner), check_shapes(graph, owner, forward), check_field(graph, owner, forward)};
}

}  // namespace tint::analysis
