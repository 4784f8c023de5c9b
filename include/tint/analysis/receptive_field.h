// Receptive fields: which input pixels can affect a unit, worked out from the layer graph (analytic) and measured
// by backpropagation through the real LibTorch module.
//
// Analytic: along each axis, a unit of a layer reads a set of units of its input layer (the kernel taps of a
// convolution or pooling window, the input positions a transposed convolution scatters into it, the source pixel
// of nearest upsampling, every unit of a fully connected layer); the field is the union of those units' fields,
// down to the input. Two views:
//   layer_fields()  the classic size and jump of each layer, borders ignored: the largest span over the layer's
//                   units (for transposed convolutions and upsampling, units at different positions see different
//                   amounts of input, hence the largest) and the input pixels between neighbouring units;
//   unit_field()    the exact rows and columns of the image that can affect one unit, at the image borders too
//                   (taps that fall on padding read nothing). Every layer tint supports is separable, so the
//                   field is rows x columns; a concatenation takes the union per axis, exact when one branch's
//                   field contains the other's (as in UNet).
// Measured: measure_field() backpropagates from one unit and lists the input pixels with non-zero gradient, after
// prepare_for_measurement() has made every weight positive so that no two paths can cancel;
// measure_field_by_raising() finds the same pixels by raising each one, for networks with max pooling.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <torch/nn/module.h>

#include "tint/analysis/layer_graph.h"

namespace tint::analysis {

struct LayerField {
  int64_t size_h = 1, size_w = 1;  // largest span over the layer's units, in input pixels, borders ignored
  double jump_h = 1, jump_w = 1;   // input pixels between neighbouring units; NaN after a fully connected layer
};

// One entry per layer of `graph` (shapes inferred).
std::vector<LayerField> layer_fields(const LayerGraph& graph);

struct UnitField {
  std::vector<int64_t> rows, cols;  // sorted input rows / columns that can affect the unit
  int64_t pixels = 0;               // input pixels that can affect it (analytic: rows x cols)
  int64_t span_h() const { return rows.empty() ? 0 : rows.back() - rows.front() + 1; }
  int64_t span_w() const { return cols.empty() ? 0 : cols.back() - cols.front() + 1; }
};

// The input pixels that can affect unit (row, col) of layer `index` (any channel: all channels of a unit read the
// same positions). Empty when nothing reaches it (a transposed convolution's output padding past its inputs).
UnitField unit_field(const LayerGraph& graph, int index, int64_t row, int64_t col);

// Makes `module` measurable: double precision, eval mode (BatchNorm uses its fresh running statistics), every
// multi-dimensional weight 1/fan and every vector parameter 1, so all activations are positive, ReLU passes every
// gradient and no gradient can cancel. Overwrites the module's weights.
void prepare_for_measurement(torch::nn::Module& module);

// Runs `forward` on a (1, C, H, W) input of ones, backpropagates from unit (channel, row, col) of its output and
// returns the input pixels (summed over input channels) with non-zero gradient.
UnitField measure_field(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const Shape& input,
                        int64_t channel, int64_t row, int64_t col);

// The same without gradients, for networks with max pooling (which passes gradient to one input per window, so
// measure_field misses the rest of the field): `forward`, on a module made measurable as above, runs on an input of
// ones and on copies with one pixel (all its channels) raised by kFieldRaise; a pixel reaches the unit when raising
// it changes the unit. Exact for networks whose every operation is non-decreasing in each input, as prepared ones
// are (positive weights and biases, ReLU, batchnorm in eval mode, max and average pooling, upsampling,
// concatenation): through any path the raise reaches the unit, through max pooling too, since a raise this large
// makes its unit the window's maximum. The pixels of `candidates` (its rows x cols; the analytic field, say) are
// raised one at a time, all the others at once, and those one at a time only if that changes the unit.
inline constexpr double kFieldRaise = 1e100;
UnitField measure_field_by_raising(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                                   const Shape& input, int64_t channel, int64_t row, int64_t col,
                                   const UnitField& candidates);

}  // namespace tint::analysis
