// A network as a list of layers (a small data-flow graph), its shape arithmetic, and the counting conventions of
// `tint summary`: weights, outputs (neurons) and connections per layer.
//
// A LayerGraph is built three ways: by describing a model of the model table (model_graph.h), by parsing an architecture
// string (architecture.h), or by hand in tests. Layers are kept in topological order; layer 0 is the input.
// Every layer may carry the real LibTorch module that computes it, so that run_graph() can execute the graph and
// the tests can compare the description with the module it describes.
//
// Conventions (docs/analysis.md explains them with examples):
//   outputs      units of a layer's output tensor, per example (C x H x W). Conv, transposed conv, pooling,
//                upsampling and fully connected layers produce outputs. ReLU adds none (it is the non-linearity of
//                the units it follows) and neither does a concatenation (it only regroups existing units).
//                BatchNorm counts only with include_batchnorm; the input layer only with include_input.
//   weights      kernel / matrix entries; biases only with include_bias, BatchNorm's scale and shift only with
//                include_batchnorm.
//   connections  outputs x fan-in, ignoring borders: every kernel tap counts as one connection even where it
//                meets padding. Conv: C_in k^2 per output; transposed conv: every input unit reaches C_out k^2
//                outputs (the same multiply-accumulates, counted from the input side); pooling: k^2 per output;
//                nearest upsampling: 1 per output; fully connected: every input per output; BatchNorm (when
//                counted): 1 per output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/modules/container/any.h>
#include <torch/types.h>

namespace tint::analysis {

// The shape of one example's tensor: (C, H, W).
struct Shape {
  int64_t c = 0, h = 0, w = 0;
  int64_t numel() const { return c * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};
std::string to_string(const Shape& s);  // "CxHxW"

enum class LayerKind {
  Input,
  Conv,
  ConvTranspose,
  MaxPool,
  AvgPool,
  Upsample,
  BatchNorm,
  ReLU,
  Concat,
  FullyConnected
};
const char* kind_name(LayerKind kind);

struct Layer {
  std::string name;         // shown in tables: a module path ("block1.0") or an architecture item
  std::string module_path;  // where its parameters live in the real module ("block1.0"); may be empty
  LayerKind kind = LayerKind::Input;
  std::vector<int> inputs;  // indices of earlier layers (several only for Concat)

  // Geometry, the same along both spatial axes. Conv and pools pad with `pad_before` / `pad_after` zeros; a
  // transposed convolution removes `pad_before` (= `pad_after`) rows/columns of its full output on each side and
  // adds `output_padding` at the end, as ConvTranspose2d does.
  int kernel = 1, stride = 1, dilation = 1;
  int pad_before = 0, pad_after = 0, output_padding = 0;
  int scale = 1;             // Upsample (nearest) factor
  int64_t in_channels = 0;   // Conv, ConvTranspose, BatchNorm: channels the module expects (0 = any)
  int64_t out_channels = 0;  // Conv, ConvTranspose; FullyConnected: output units, 0 = keep the input shape
  bool bias = false;         // has a bias vector (counted only with include_bias)

  Shape out;                    // filled by infer_shapes()
  torch::nn::AnyModule module;  // the module computing this layer, when known (empty for Input / Concat)

  int effective_kernel() const { return dilation * (kernel - 1) + 1; }
  std::string describe() const;  // "conv 3x3 s2 p1", "maxpool 2x2 s2", "upsample x2", ...
};

struct LayerGraph {
  std::vector<Layer> layers;

  // Appends a layer fed by `inputs` (default: the previous layer) and returns its index.
  int add(Layer layer, std::vector<int> inputs = {});
  int add_input(const Shape& shape);
  const Layer& output() const { return layers.back(); }
};

// Fills every layer's `out` from its inputs (PyTorch's shape formulas). Throws tint::Error naming the layer when
// channels do not match or a size would be < 1.
void infer_shapes(LayerGraph& graph);

struct Counting {
  bool include_bias = false;
  bool include_batchnorm = false;
  bool include_input = false;
};

struct Counts {
  int64_t weights = 0, outputs = 0, connections = 0;
  Counts& operator+=(const Counts& o) {
    weights += o.weights;
    outputs += o.outputs;
    connections += o.connections;
    return *this;
  }
};

// The counts of layer `index` (shapes must be inferred).
Counts count_layer(const LayerGraph& graph, int index, const Counting& counting);
Counts count_total(const LayerGraph& graph, const Counting& counting);

// Runs the graph on `input` (N, C, H, W) with each layer's module and returns every layer's output. With
// `max_pool_as_average`, max pooling runs as average pooling over the same windows: the same inputs can affect
// each output, but every one of them receives gradient (the receptive-field measurement needs that).
// Throws tint::Error for a layer without a module.
std::vector<torch::Tensor> run_graph(const LayerGraph& graph, const torch::Tensor& input,
                                     bool max_pool_as_average = false);

}  // namespace tint::analysis
