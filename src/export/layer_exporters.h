// One small exporter per layer kind: each adds the ONNX nodes (and initializers) that compute what tint's module
// computes, reading `x` (a value of the graph), and returns the name of the result. The colourizer and detector
// exporters (colourizer_export.cpp, detector_export.cpp) only walk their networks and call these.
//
// Operators and attributes are those of opset kOpset (include/tint/export/onnx_file.h), as onnx/docs/Operators.md
// defines them and OpenCV 4.6's importer (modules/dnn/src/onnx/onnx_importer.cpp) reads them.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "onnx_graph.h"

namespace tint::onnx_export {

// The four paddings of a 2-D window in ONNX's order: top, left, bottom, right.
struct Pads {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  std::vector<int64_t> onnx() const { return {top, left, bottom, right}; }
  static Pads symmetric(int64_t p) { return {p, p, p, p}; }
};

// Conv: weight (C_out, C_in / groups, kH, kW), bias (C_out) or undefined (none).
std::string conv(OnnxGraph& g, const std::string& name, const std::string& x, const torch::Tensor& weight,
                 const torch::Tensor& bias, int64_t stride, const Pads& pads, int64_t dilation, int64_t groups);

// Conv with a batchnorm after it folded into its weight and bias (eval mode: the running statistics, the
// batchnorm's own epsilon), as darknet's fuse_conv_batchnorm and OpenCV do: one node instead of two.
std::string conv_batchnorm_folded(OnnxGraph& g, const std::string& name, const std::string& x,
                                  const torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn,
                                  int64_t stride, const Pads& pads, int64_t groups);

// A torch::nn::Conv2d (zeros padding only, symmetric padding from its options plus `extra` before/after).
std::string conv2d(OnnxGraph& g, const std::string& name, const std::string& x, const torch::nn::Conv2dImpl& conv,
                   const Pads& extra = {});

// ConvTranspose: weight (C_in, C_out, kH, kW) as torch's, padding and output_padding as torch's.
std::string conv_transpose2d(OnnxGraph& g, const std::string& name, const std::string& x,
                             const torch::nn::ConvTranspose2dImpl& conv);

// BatchNormalization in inference mode: the running statistics and the module's epsilon.
std::string batch_norm(OnnxGraph& g, const std::string& name, const std::string& x,
                       const torch::nn::BatchNorm2dImpl& bn);

std::string relu(OnnxGraph& g, const std::string& name, const std::string& x);
std::string leaky_relu(OnnxGraph& g, const std::string& name, const std::string& x, float slope);
std::string logistic(OnnxGraph& g, const std::string& name, const std::string& x);
// x * sigmoid(x).
std::string swish(OnnxGraph& g, const std::string& name, const std::string& x);
// x * tanh(softplus(x)): ONNX has Mish only from opset 18.
std::string mish(OnnxGraph& g, const std::string& name, const std::string& x);

// MaxPool with the given window, stride and paddings (the padding never wins: ONNX pads max-pooling with -inf).
std::string max_pool(OnnxGraph& g, const std::string& name, const std::string& x, int64_t kernel, int64_t stride,
                     const Pads& pads);

// Nearest-neighbour upsampling by an integer factor: Resize with scales (1, 1, s, s), asymmetric coordinates and
// floor rounding, which is torch's nearest mode and darknet's upsample (each pixel repeated s x s times).
std::string upsample_nearest(OnnxGraph& g, const std::string& name, const std::string& x, int64_t scale);

// Concatenation along channels (axis 1), in the order given.
std::string concat(OnnxGraph& g, const std::string& name, const std::vector<std::string>& inputs);

// Channels [first, first + count) of x (darknet's route with groups): Slice on axis 1.
std::string channel_slice(OnnxGraph& g, const std::string& name, const std::string& x, int64_t first, int64_t count);

// Channels [first, first + count) of x along `axis`.
std::string slice(OnnxGraph& g, const std::string& name, const std::string& x, int64_t axis, int64_t first,
                  int64_t count);

// Elementwise operators of two values (ONNX's multidirectional broadcasting).
std::string binary(OnnxGraph& g, const std::string& op, const std::string& name, const std::string& a,
                   const std::string& b);

// Elementwise sum, in the order given (a darknet shortcut).
std::string add(OnnxGraph& g, const std::string& name, const std::vector<std::string>& inputs);

}  // namespace tint::onnx_export
