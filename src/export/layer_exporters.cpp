#include "layer_exporters.h"

#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::onnx_export {

std::string conv(OnnxGraph& g, const std::string& name, const std::string& x, const torch::Tensor& weight,
                 const torch::Tensor& bias, int64_t stride, const Pads& pads, int64_t dilation, int64_t groups) {
  std::vector<std::string> inputs = {x, g.weight(name + ".weight", weight)};
  if (bias.defined()) inputs.push_back(g.weight(name + ".bias", bias));
  auto& n = g.node("Conv", name, inputs);
  set_attribute(n, "kernel_shape", std::vector<int64_t>{weight.size(2), weight.size(3)});
  set_attribute(n, "strides", std::vector<int64_t>{stride, stride});
  set_attribute(n, "pads", pads.onnx());
  set_attribute(n, "dilations", std::vector<int64_t>{dilation, dilation});
  set_attribute(n, "group", groups);
  return OnnxGraph::output(n);
}

std::string conv_batchnorm_folded(OnnxGraph& g, const std::string& name, const std::string& x,
                                  const torch::nn::Conv2dImpl& c, const torch::nn::BatchNorm2dImpl& bn, int64_t stride,
                                  const Pads& pads, int64_t groups) {
  // y = gamma (conv(x) + b - mean) / sqrt(var + eps) + beta = conv'(x) + b', conv' = conv * s per output channel,
  // s = gamma / sqrt(var + eps): the very float32 operations detect::DarknetConvImpl::forward folds with, so that the
  // file holds the weights tint computes with, bit for bit.
  torch::NoGradGuard no_grad;
  const auto scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
  const auto weight = c.weight * scale.view({-1, 1, 1, 1});
  auto bias = bn.bias - bn.running_mean * scale;
  if (c.bias.defined()) bias = bias + c.bias * scale;
  const auto dilation = c.options.dilation()->at(0);
  return conv(g, name, x, weight, bias, stride, pads, dilation, groups);
}

namespace {

int64_t symmetric_padding(const torch::nn::Conv2dImpl& c, const std::string& name) {
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&c.options.padding());
  if (pad == nullptr || (*pad)->at(0) != (*pad)->at(1))
    throw Error("cannot export layer '" + name + "': only convolutions with one number as padding are exported");
  if (!c10::get_if<torch::enumtype::kZeros>(&c.options.padding_mode()))
    throw Error("cannot export layer '" + name + "': only zero padding is exported");
  return (*pad)->at(0);
}

}  // namespace

std::string conv2d(OnnxGraph& g, const std::string& name, const std::string& x, const torch::nn::Conv2dImpl& c,
                   const Pads& extra) {
  const auto p = symmetric_padding(c, name);
  const auto& s = c.options.stride();
  const auto& d = c.options.dilation();
  if (s->at(0) != s->at(1) || d->at(0) != d->at(1))
    throw Error("cannot export layer '" + name + "': strides and dilations must be the same in both directions");
  const Pads pads{p + extra.top, p + extra.left, p + extra.bottom, p + extra.right};
  return conv(g, name, x, c.weight, c.bias, s->at(0), pads, d->at(0), c.options.groups());
}

std::string conv_transpose2d(OnnxGraph& g, const std::string& name, const std::string& x,
                             const torch::nn::ConvTranspose2dImpl& c) {
  const auto& o = c.options;
  const auto& k = o.kernel_size();
  const auto& s = o.stride();
  const auto* p = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (p == nullptr) throw Error("cannot export layer '" + name + "': a transposed convolution's padding as numbers");
  const auto& op = o.output_padding();
  const auto& d = o.dilation();
  if (o.groups() != 1) throw Error("cannot export layer '" + name + "': grouped transposed convolutions");
  std::vector<std::string> inputs = {x, g.weight(name + ".weight", c.weight)};
  if (c.bias.defined()) inputs.push_back(g.weight(name + ".bias", c.bias));
  auto& n = g.node("ConvTranspose", name, inputs);
  set_attribute(n, "kernel_shape", std::vector<int64_t>{k->at(0), k->at(1)});
  set_attribute(n, "strides", std::vector<int64_t>{s->at(0), s->at(1)});
  // torch crops `padding` from both ends of the full transposed output and adds output_padding at the end: ONNX's
  // pads and output_padding mean the same (its output_shape formula: stride (in - 1) + output_padding + ((kernel -
  // 1) dilation + 1) - pads_begin - pads_end).
  set_attribute(n, "pads", std::vector<int64_t>{(*p)->at(0), (*p)->at(1), (*p)->at(0), (*p)->at(1)});
  set_attribute(n, "output_padding", std::vector<int64_t>{op->at(0), op->at(1)});
  set_attribute(n, "dilations", std::vector<int64_t>{d->at(0), d->at(1)});
  set_attribute(n, "group", int64_t{1});
  return OnnxGraph::output(n);
}

std::string batch_norm(OnnxGraph& g, const std::string& name, const std::string& x,
                       const torch::nn::BatchNorm2dImpl& bn) {
  if (!bn.options.affine() || !bn.options.track_running_stats())
    throw Error("cannot export layer '" + name + "': a batchnorm without weights or running statistics");
  auto& n =
      g.node("BatchNormalization", name,
             {x, g.weight(name + ".weight", bn.weight), g.weight(name + ".bias", bn.bias),
              g.weight(name + ".running_mean", bn.running_mean), g.weight(name + ".running_var", bn.running_var)});
  set_attribute(n, "epsilon", static_cast<float>(bn.options.eps()));
  return OnnxGraph::output(n);
}

std::string relu(OnnxGraph& g, const std::string& name, const std::string& x) {
  return OnnxGraph::output(g.node("Relu", name, {x}));
}

std::string leaky_relu(OnnxGraph& g, const std::string& name, const std::string& x, float slope) {
  auto& n = g.node("LeakyRelu", name, {x});
  set_attribute(n, "alpha", slope);
  return OnnxGraph::output(n);
}

std::string logistic(OnnxGraph& g, const std::string& name, const std::string& x) {
  return OnnxGraph::output(g.node("Sigmoid", name, {x}));
}

std::string swish(OnnxGraph& g, const std::string& name, const std::string& x) {
  const auto s = logistic(g, name + ".sigmoid", x);
  return OnnxGraph::output(g.node("Mul", name, {x, s}));
}

std::string mish(OnnxGraph& g, const std::string& name, const std::string& x) {
  const auto softplus = OnnxGraph::output(g.node("Softplus", name + ".softplus", {x}));
  const auto tanh = OnnxGraph::output(g.node("Tanh", name + ".tanh", {softplus}));
  return OnnxGraph::output(g.node("Mul", name, {x, tanh}));
}

std::string max_pool(OnnxGraph& g, const std::string& name, const std::string& x, int64_t kernel, int64_t stride,
                     const Pads& pads) {
  auto& n = g.node("MaxPool", name, {x});
  set_attribute(n, "kernel_shape", std::vector<int64_t>{kernel, kernel});
  set_attribute(n, "strides", std::vector<int64_t>{stride, stride});
  set_attribute(n, "pads", pads.onnx());
  return OnnxGraph::output(n);
}

std::string upsample_nearest(OnnxGraph& g, const std::string& name, const std::string& x, int64_t scale) {
  const auto s = static_cast<float>(scale);
  // Opset 13's Resize: X, roi (empty: not used by these coordinates), scales.
  auto& n = g.node("Resize", name, {x, "", g.floats(name + ".scales", {1.f, 1.f, s, s})});
  set_attribute(n, "mode", std::string("nearest"));
  set_attribute(n, "coordinate_transformation_mode", std::string("asymmetric"));
  set_attribute(n, "nearest_mode", std::string("floor"));
  return OnnxGraph::output(n);
}

std::string concat(OnnxGraph& g, const std::string& name, const std::vector<std::string>& inputs) {
  auto& n = g.node("Concat", name, inputs);
  set_attribute(n, "axis", int64_t{1});
  return OnnxGraph::output(n);
}

std::string channel_slice(OnnxGraph& g, const std::string& name, const std::string& x, int64_t first, int64_t count) {
  auto& n = g.node("Slice", name,
                   {x, g.int64s(name + ".starts", {first}), g.int64s(name + ".ends", {first + count}),
                    g.int64s(name + ".axes", {1})});
  return OnnxGraph::output(n);
}

std::string slice(OnnxGraph& g, const std::string& name, const std::string& x, int64_t axis, int64_t first,
                  int64_t count) {
  auto& n = g.node("Slice", name,
                   {x, g.int64s(name + ".starts", {first}), g.int64s(name + ".ends", {first + count}),
                    g.int64s(name + ".axes", {axis})});
  return OnnxGraph::output(n);
}

std::string binary(OnnxGraph& g, const std::string& op, const std::string& name, const std::string& a,
                   const std::string& b) {
  return OnnxGraph::output(g.node(op, name, {a, b}));
}

std::string add(OnnxGraph& g, const std::string& name, const std::vector<std::string>& inputs) {
  std::string sum = inputs.at(0);
  for (size_t i = 1; i < inputs.size(); ++i)
    sum =
        OnnxGraph::output(g.node("Add", inputs.size() == 2 ? name : name + "." + std::to_string(i), {sum, inputs[i]}));
  return sum;
}

}  // namespace tint::onnx_export
