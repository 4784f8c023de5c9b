// Reads a model's layers from its modules and wires them as the model's own figure list says.
#include "tint/analysis/model_graph.h"

#include "tint/ops/conv_transpose.h"

#include <map>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/models/layers.h"
#include "tint/models/padding.h"

namespace tint::analysis {
namespace nn = torch::nn;

namespace {

// A square value of an ExpandingArray<2>, or an error naming the module.
int square(const torch::ExpandingArray<2>& a, const std::string& path, const char* what) {
  if (a->at(0) != a->at(1))
    throw Error(fmt::format("module '{}': {} {}x{} is not square; tint analyses square geometry only", path, what,
                            a->at(0), a->at(1)));
  return static_cast<int>(a->at(0));
}

template <typename Options>
void read_conv_geometry(const Options& o, const std::string& path, Layer& l) {
  if (o.groups() != 1) throw Error(fmt::format("module '{}': grouped convolutions are not supported", path));
  if (!c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()))
    throw Error(fmt::format("module '{}': only zero padding is supported", path));
  l.kernel = square(o.kernel_size(), path, "kernel");
  l.stride = square(o.stride(), path, "stride");
  l.dilation = square(o.dilation(), path, "dilation");
  l.in_channels = o.in_channels();
  l.out_channels = o.out_channels();
  l.bias = o.bias();
  if (const auto* p = c10::get_if<torch::ExpandingArray<2>>(&o.padding())) {
    l.pad_before = l.pad_after = square(*p, path, "padding");
  } else if (c10::get_if<torch::enumtype::kSame>(&o.padding())) {
    const auto same = models::same_padding(l.kernel, l.dilation);
    l.pad_before = same.before;
    l.pad_after = same.after;
  }  // kValid: no padding
}

torch::nn::AnyModule as_any(const std::shared_ptr<nn::Module>& m) {
  if (auto p = std::dynamic_pointer_cast<nn::Conv2dImpl>(m)) return nn::AnyModule(p);
  // The models' oneDNN transposed convolution first, so that layer-by-layer runs use the models' own kernel.
  if (auto p = std::dynamic_pointer_cast<ops::FastConvTranspose2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::ConvTranspose2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<models::SameConv2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::MaxPool2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::AvgPool2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::UpsampleImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(m)) return nn::AnyModule(p);
  if (auto p = std::dynamic_pointer_cast<nn::ReLUImpl>(m)) return nn::AnyModule(p);
  return {};
}

}  // namespace

Layer describe_module(const std::string& path, const std::shared_ptr<nn::Module>& m) {
  Layer l;
  l.name = l.module_path = path;
  if (auto conv = std::dynamic_pointer_cast<nn::Conv2dImpl>(m)) {
    l.kind = LayerKind::Conv;
    read_conv_geometry(conv->options, path, l);
  } else if (auto convt = std::dynamic_pointer_cast<nn::ConvTranspose2dImpl>(m)) {
    l.kind = LayerKind::ConvTranspose;
    read_conv_geometry(convt->options, path, l);
    l.output_padding = square(convt->options.output_padding(), path, "output_padding");
  } else if (auto same = std::dynamic_pointer_cast<models::SameConv2dImpl>(m)) {
    // A stride-1 convolution that keeps H x W (layers.h); for an even kernel the extra zero goes after, as the
    // models' padding rule says. The analysis tests check the split against gradients at the image border.
    l.kind = LayerKind::Conv;
    read_conv_geometry(same->conv->options, path, l);
    if (l.stride != 1) throw Error(fmt::format("module '{}': SameConv2d with stride {}", path, l.stride));
    const auto pad = models::same_padding(l.kernel, l.dilation);
    l.pad_before = pad.before;
    l.pad_after = pad.after;
  } else if (auto pool = std::dynamic_pointer_cast<nn::MaxPool2dImpl>(m)) {
    const auto& o = pool->options;
    if (o.ceil_mode()) throw Error(fmt::format("module '{}': ceil_mode pooling is not supported", path));
    l.kind = LayerKind::MaxPool;
    l.kernel = square(o.kernel_size(), path, "kernel");
    l.stride = square(o.stride(), path, "stride");
    l.dilation = square(o.dilation(), path, "dilation");
    l.pad_before = l.pad_after = square(o.padding(), path, "padding");
  } else if (auto avg = std::dynamic_pointer_cast<nn::AvgPool2dImpl>(m)) {
    const auto& o = avg->options;
    if (o.ceil_mode()) throw Error(fmt::format("module '{}': ceil_mode pooling is not supported", path));
    l.kind = LayerKind::AvgPool;
    l.kernel = square(o.kernel_size(), path, "kernel");
    l.stride = square(o.stride(), path, "stride");
    l.pad_before = l.pad_after = square(o.padding(), path, "padding");
  } else if (auto up = std::dynamic_pointer_cast<nn::UpsampleImpl>(m)) {
    const auto& o = up->options;
    if (!c10::get_if<torch::enumtype::kNearest>(&o.mode()) || !o.scale_factor() || o.scale_factor()->size() != 2 ||
        (*o.scale_factor())[0] != (*o.scale_factor())[1] ||
        (*o.scale_factor())[0] != static_cast<int>((*o.scale_factor())[0]) || (*o.scale_factor())[0] < 1)
      throw Error(fmt::format("module '{}': only nearest upsampling by one integer factor is supported", path));
    l.kind = LayerKind::Upsample;
    l.scale = static_cast<int>((*o.scale_factor())[0]);
  } else if (auto bn = std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(m)) {
    if (!bn->options.affine())
      throw Error(fmt::format("module '{}': BatchNorm2d without affine parameters is not supported", path));
    l.kind = LayerKind::BatchNorm;
    l.in_channels = bn->options.num_features();
  } else if (std::dynamic_pointer_cast<nn::ReLUImpl>(m)) {
    l.kind = LayerKind::ReLU;
  } else {
    throw Error(fmt::format("module '{}' ({}) is not a layer tint can analyse", path, m->name()));
  }
  l.module = as_any(m);
  return l;
}

LayerGraph describe_model(const models::ColourNet& net, const Shape& input) {
  // The model's own list of layers and inputs, the one its forward() runs (models::ColourNetImpl::add_layer).
  LayerGraph graph;
  std::map<std::string, int> last;  // layer name -> index of its last node in the graph
  last["input"] = graph.add_input(input);
  for (const auto& step : net->figure_layers()) {
    std::vector<int> feed;
    for (const auto& in : step.inputs) feed.push_back(last.at(in));
    if (feed.size() > 1) {
      Layer cat;
      cat.name = step.name + ".cat";
      cat.kind = LayerKind::Concat;
      feed = {graph.add(std::move(cat), feed)};
    }
    const auto module = step.module.ptr();
    if (auto seq = std::dynamic_pointer_cast<nn::SequentialImpl>(module)) {
      const auto names = seq->named_children();
      for (size_t i = 0; i < seq->size(); ++i) {
        Layer l = describe_module(step.name + "." + names[i].key(), seq->ptr(i));
        feed = {graph.add(std::move(l), feed)};
      }
    } else {
      feed = {graph.add(describe_module(step.name, module), feed)};
    }
    last[step.name] = feed.front();
  }
  infer_shapes(graph);
  return graph;
}

}  // namespace tint::analysis
