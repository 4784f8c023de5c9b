// Shape arithmetic and counting for LayerGraph (conventions in include/tint/analysis/layer_graph.h).
#include "tint/analysis/layer_graph.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::analysis {

std::string to_string(const Shape& s) { return fmt::format("{}x{}x{}", s.c, s.h, s.w); }

const char* kind_name(LayerKind kind) {
  // clang-format off: one line per kind reads as the table it is
  switch (kind) {
    case LayerKind::Input:
      return "input";
    case LayerKind::Conv:
      return "conv";
    case LayerKind::ConvTranspose:
      return "convT";
    case LayerKind::MaxPool:
      return "maxpool";
    case LayerKind::AvgPool:
      return "avgpool";
    case LayerKind::Upsample:
      return "upsample";
    case LayerKind::BatchNorm:
      return "batchnorm";
    case LayerKind::ReLU:
      return "relu";
    case LayerKind::Concat:
      return "concat";
    case LayerKind::FullyConnected:
      return "fc";
  }
  // clang-format on
  return "?";
}

std::string Layer::describe() const {
  auto geometry = [this] {
    std::string g = fmt::format("{}x{} s{}", kernel, kernel, stride);
    if (dilation != 1) g += fmt::format(" d{}", dilation);
    g += pad_before == pad_after ? fmt::format(" p{}", pad_before) : fmt::format(" p{}+{}", pad_before, pad_after);
    if (output_padding != 0) g += fmt::format(" op{}", output_padding);
    return g;
  };
  switch (kind) {
    case LayerKind::Conv:
    case LayerKind::ConvTranspose:
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      return fmt::format("{} {}", kind_name(kind), geometry());
    case LayerKind::Upsample:
      return fmt::format("upsample x{}", scale);
    case LayerKind::FullyConnected:
      return out_channels == 0 ? "fc (same shape)" : fmt::format("fc {}", out_channels);
    default:
      return kind_name(kind);
  }
}

int LayerGraph::add(Layer layer, std::vector<int> inputs) {
  if (layer.kind != LayerKind::Input && inputs.empty()) {
    if (layers.empty()) throw Error("layer '" + layer.name + "' has no input: add the input layer first");
    inputs = {static_cast<int>(layers.size()) - 1};
  }
  layer.inputs = std::move(inputs);
  layers.push_back(std::move(layer));
  return static_cast<int>(layers.size()) - 1;
}

int LayerGraph::add_input(const Shape& shape) {
  Layer in;
  in.name = "input";
  in.kind = LayerKind::Input;
  in.out = shape;
  return add(std::move(in), {});
}

namespace {

// Output length of a window sliding with `stride` over `length + pads` positions (Conv2d / MaxPool2d formula).
int64_t sliding_length(int64_t length, int pads, int effective, int stride) {
  const int64_t span = length + pads - effective;
  return span < 0 ? 0 : span / stride + 1;
}

Shape layer_shape(const Layer& l, const std::vector<Shape>& in) {
  const Shape& x = in.front();
  const int e = l.effective_kernel();
  switch (l.kind) {
    case LayerKind::Input:
      return l.out;
    case LayerKind::Conv:
      return {l.out_channels, sliding_length(x.h, l.pad_before + l.pad_after, e, l.stride),
              sliding_length(x.w, l.pad_before + l.pad_after, e, l.stride)};
    case LayerKind::ConvTranspose: {
      auto grow = [&](int64_t n) { return (n - 1) * l.stride - l.pad_before - l.pad_after + e + l.output_padding; };
      return {l.out_channels, grow(x.h), grow(x.w)};
    }
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      return {x.c, sliding_length(x.h, l.pad_before + l.pad_after, e, l.stride),
              sliding_length(x.w, l.pad_before + l.pad_after, e, l.stride)};
    case LayerKind::Upsample:
      return {x.c, x.h * l.scale, x.w * l.scale};
    case LayerKind::BatchNorm:
    case LayerKind::ReLU:
      return x;
    case LayerKind::Concat: {
      Shape s{0, x.h, x.w};
      for (const auto& part : in) {
        if (part.h != x.h || part.w != x.w)
          throw Error(fmt::format("layer '{}': cannot concatenate {} with {} (heights and widths differ)", l.name,
                                  to_string(x), to_string(part)));
        s.c += part.c;
      }
      return s;
    }
    case LayerKind::FullyConnected:
      return l.out_channels == 0 ? x : Shape{l.out_channels, 1, 1};
  }
  return x;
}

}  // namespace

void infer_shapes(LayerGraph& graph) {
  for (size_t i = 0; i < graph.layers.size(); ++i) {
    Layer& l = graph.layers[i];
    std::vector<Shape> in;
    for (int j : l.inputs) {
      if (j < 0 || j >= static_cast<int>(i)) throw Error(fmt::format("layer '{}' reads a later layer", l.name));
      in.push_back(graph.layers[j].out);
    }
    if (l.kind == LayerKind::Input) {
      if (l.out.numel() < 1) throw Error("the input shape must have C, H and W >= 1, got " + to_string(l.out));
      continue;
    }
    if (l.kind != LayerKind::Concat && in.size() != 1)
      throw Error(fmt::format("layer '{}' must have exactly one input", l.name));
    if (l.in_channels != 0 && l.in_channels != in.front().c)
      throw Error(fmt::format("layer '{}' expects {} channels but receives {} ({})", l.name, l.in_channels,
                              in.front().c, to_string(in.front())));
    l.out = layer_shape(l, in);
    if (l.out.h < 1 || l.out.w < 1)
      throw Error(fmt::format("layer '{}' ({}) has no output: its input {} is too small", l.name, l.describe(),
                              to_string(in.front())));
  }
}

Counts count_layer(const LayerGraph& graph, int index, const Counting& counting) {
  const Layer& l = graph.layers.at(index);
  Counts c;
  const int64_t outputs = l.out.numel();
  const int64_t k2 = static_cast<int64_t>(l.kernel) * l.kernel;
  const Shape in = l.inputs.empty() ? l.out : graph.layers[l.inputs.front()].out;
  switch (l.kind) {
    case LayerKind::Input:
      if (counting.include_input) c.outputs = outputs;
      break;
    case LayerKind::Conv:
      c.weights = l.out_channels * in.c * k2 + (counting.include_bias && l.bias ? l.out_channels : 0);
      c.outputs = outputs;
      c.connections = outputs * in.c * k2;
      break;
    case LayerKind::ConvTranspose:
      c.weights = in.c * l.out_channels * k2 + (counting.include_bias && l.bias ? l.out_channels : 0);
      c.outputs = outputs;
      // Counted from the input side: each input unit is multiplied by every tap of every output channel's kernel.
      c.connections = in.numel() * l.out_channels * k2;
      break;
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      c.outputs = outputs;
      c.connections = outputs * k2;
      break;
    case LayerKind::Upsample:
      c.outputs = outputs;
      c.connections = outputs;  // nearest: every output copies one input
      break;
    case LayerKind::BatchNorm:
      if (counting.include_batchnorm) {
        c.weights = 2 * l.out.c;  // scale and shift per channel
        c.outputs = outputs;
        c.connections = outputs;
      }
      break;
    case LayerKind::ReLU:
    case LayerKind::Concat:
      break;
    case LayerKind::FullyConnected:
      c.weights = in.numel() * outputs + (counting.include_bias && l.bias ? outputs : 0);
      c.outputs = outputs;
      c.connections = outputs * in.numel();
      break;
  }
  return c;
}

Counts count_total(const LayerGraph& graph, const Counting& counting) {
  Counts total;
  for (size_t i = 0; i < graph.layers.size(); ++i) total += count_layer(graph, static_cast<int>(i), counting);
  return total;
}

std::vector<torch::Tensor> run_graph(const LayerGraph& graph, const torch::Tensor& input, bool max_pool_as_average) {
  TORCH_CHECK(input.dim() == 4, "run_graph expects (N, C, H, W), got ", input.sizes());
  std::vector<torch::Tensor> out;
  out.reserve(graph.layers.size());
  for (const Layer& l : graph.layers) {
    if (l.kind == LayerKind::Input) {
      out.push_back(input);
      continue;
    }
    if (l.kind == LayerKind::Concat) {
      std::vector<torch::Tensor> parts;
      for (int j : l.inputs) parts.push_back(out[j]);
      out.push_back(torch::cat(parts, /*dim=*/1));
      continue;
    }
    const torch::Tensor& x = out[l.inputs.front()];
    if (l.kind == LayerKind::MaxPool && max_pool_as_average) {
      TORCH_CHECK(l.dilation == 1 && l.pad_before == l.pad_after, "layer ", l.name,
                  ": average pooling cannot stand in for a dilated or asymmetrically padded max pooling");
      out.push_back(torch::avg_pool2d(x, {l.kernel, l.kernel}, {l.stride, l.stride}, {l.pad_before, l.pad_before}));
      continue;
    }
    if (l.module.is_empty()) throw Error("layer '" + l.name + "' has no module to run");
    torch::nn::AnyModule module = l.module;  // a shallow copy: forward() is not const, the module is shared
    out.push_back(module.forward(x));
  }
  return out;
}

}  // namespace tint::analysis
