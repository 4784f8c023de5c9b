#include "tint/export/colourizer_export.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <map>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "layer_exporters.h"
#include "onnx_graph.h"
#include "tint/core/error.h"
#include "tint/models/layers.h"
#include "tint/models/padding.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/trainer.h"

namespace tint::onnx_export {
namespace nn = torch::nn;

namespace {

// One module of a colourization network: the exporter of its kind. `name` is its path in the network
// ("block1.0"), which names its nodes and weights as the checkpoint names its parameters.
std::string export_colour_module(OnnxGraph& g, const std::string& name, const std::string& x, nn::Module& m) {
  if (auto* s = m.as<models::SameConv2dImpl>()) {
    // The network's 'same' padding (models/padding.h): the conv's own when symmetric, else all of it here.
    const int64_t k = s->conv->options.kernel_size()->at(0);
    const auto pad = models::same_padding(static_cast<int>(k));
    const Pads extra = pad.symmetric() ? Pads{} : Pads{pad.before, pad.before, pad.after, pad.after};
    return conv2d(g, name + ".conv", x, *s->conv, extra);
  }
  if (auto* c = m.as<nn::Conv2dImpl>()) return conv2d(g, name, x, *c);
  if (auto* t = m.as<nn::ConvTranspose2dImpl>()) return conv_transpose2d(g, name, x, *t);
  if (auto* b = m.as<nn::BatchNorm2dImpl>()) return batch_norm(g, name, x, *b);
  if (m.as<nn::ReLUImpl>() != nullptr) return relu(g, name, x);
  if (auto* p = m.as<nn::MaxPool2dImpl>()) {
    const auto& o = p->options;
    const auto k = o.kernel_size()->at(0);
    if (o.kernel_size()->at(1) != k || o.stride()->at(0) != o.stride()->at(1) || o.padding()->at(0) != 0 ||
        o.padding()->at(1) != 0 || o.dilation()->at(0) != 1 || o.dilation()->at(1) != 1 || o.ceil_mode())
      throw Error("cannot export layer '" + name + "': only square max-pooling without padding or dilation");
    return max_pool(g, name, x, k, o.stride()->at(0), Pads{});
  }
  if (auto* u = m.as<nn::UpsampleImpl>()) {
    const auto& o = u->options;
    const auto& scale = o.scale_factor();
    if (!c10::get_if<torch::enumtype::kNearest>(&o.mode()) || !scale || scale->size() != 2 ||
        (*scale)[0] != (*scale)[1] || (*scale)[0] != static_cast<int64_t>((*scale)[0]) || (*scale)[0] < 1)
      throw Error("cannot export layer '" + name + "': only nearest upsampling by a whole factor");
    return upsample_nearest(g, name, x, static_cast<int64_t>((*scale)[0]));
  }
  throw Error(fmt::format("cannot export layer '{}' ({}): no ONNX exporter handles it", name, m.name()));
}

std::string palette_json(const data::Palette& palette) {
  const auto c = palette.colours().to(torch::kFloat32).contiguous();
  auto rows = nlohmann::json::array();
  for (int64_t i = 0; i < c.size(0); ++i)
    rows.push_back({c[i][0].item<float>(), c[i][1].item<float>(), c[i][2].item<float>()});
  return rows.dump();
}

std::string bins_json(const data::AbBins& bins) {
  const auto c = bins.centres().to(torch::kFloat32).contiguous();
  auto rows = nlohmann::json::array();
  for (int64_t i = 0; i < c.size(0); ++i) rows.push_back({c[i][0].item<float>(), c[i][1].item<float>()});
  return rows.dump();
}

std::string metadata_value(const data::AbDecoding& decoding) {
  return decoding.mode == data::AbDecode::Annealed ? fmt::format("annealed mean, temperature {}", decoding.temperature)
                                                   : std::string(data::to_string(decoding.mode));
}

}  // namespace

std::string colourizer_onnx(models::ColourNetImpl& net, const ColourizerInfo& info, ExportSummary& summary) {
  net.eval();
  const bool ab = info.target == train::ColourTarget::ab_bins;
  const auto nic = info.net.num_in_channels, nc = info.net.num_colours;
  if (ab && info.bins.size() != nc)
    throw Error(fmt::format("{}: {} logits but {} ab bins", info.source, nc, info.bins.size()));
  if (!ab && info.palette.size() != nc)
    throw Error(fmt::format("{}: {} logits but {} palette colours", info.source, nc, info.palette.size()));

  const std::string what = ab ? fmt::format("ab-bin logits ({})", nc) : fmt::format("palette logits ({})", nc);
  const std::string input_doc = fmt::format(
      "grey: the mean of R, G and B of the 8-bit image, divided by 256 (tint's network input), shape (batch, {}, "
      "height, width) with height and width multiples of 4; tint colourizes at a shorter side of 32 by default",
      nic);
  const std::string output_doc =
      ab ? fmt::format(
               "logits over {} CIELAB ab bins (their a, b centres: metadata ab_bins), shape (batch, {}, height, "
               "width); "
               "tint decodes them by {} (metadata ab_decoding) and recombines the ab with the image's own lightness",
               nc, nc, data::to_string(info.decoding.mode))
         : fmt::format(
               "logits over {} palette colours (their RGB in [0, 1]: metadata palette), shape (batch, {}, height, "
               "width); the argmax is the predicted colour",
               nc, nc);

  onnx::ModelProto model;
  start_model(
      model, net.name(),
      fmt::format("tint colourization network {} (kernel {}, {} filters, {} head) from {}. Input {}. Output {}.",
                  net.name(), info.net.kernel, info.net.num_filters, info.net.head, info.source, input_doc,
                  output_doc));
  add_metadata(model, "model", net.name());
  add_metadata(model, "source", info.source);
  add_metadata(model, "target", ab ? "ab-bins" : "palette");
  add_metadata(model, "input", input_doc);
  add_metadata(model, "output", output_doc);
  if (ab) {
    add_metadata(model, "ab_bins", bins_json(info.bins));
    add_metadata(model, "ab_decoding", metadata_value(info.decoding));
  } else {
    add_metadata(model, "palette", palette_json(info.palette));
  }

  auto& graph = *model.mutable_graph();
  OnnxGraph g(graph);
  const std::string input = g.fresh("grey");
  describe_value(*graph.add_input(), input, {"batch", static_cast<int64_t>(nic), "height", "width"}, input_doc);

  std::map<std::string, std::string> values = {{"input", input}};  // a figure layer's name -> its output value
  std::string last;
  for (const auto& layer : net.figure_layers()) {
    std::vector<std::string> inputs;
    for (const auto& in : layer.inputs) inputs.push_back(values.at(in));
    std::string x = inputs.size() == 1 ? inputs[0] : concat(g, layer.name + ".concat", inputs);
    auto module = layer.module.ptr();
    if (auto block = std::dynamic_pointer_cast<nn::SequentialImpl>(module)) {
      for (const auto& child : block->named_children())
        x = export_colour_module(g, layer.name + "." + child.key(), x, *child.value());
    } else {
      x = export_colour_module(g, layer.name, x, *module);
    }
    values[layer.name] = last = x;
  }
  rename_value(graph, last, "logits");
  describe_value(*graph.add_output(), "logits", {"batch", static_cast<int64_t>(nc), "height", "width"}, output_doc);
  if (info.decode) {
    if (!ab)
      throw Error(info.source +
                  ": --decode applies to ab-bins models; this one predicts palette colours (the argmax of its logits)");
    if (info.decoding.mode == data::AbDecode::Mode)
      throw Error(info.source + ": --decode writes the mean or annealed mean; this run decodes by the mode (argmax)");
    // softmax(logits / T) . centres (data/ab_decoding.cpp), the expectation as a 1 x 1 convolution whose weight is
    // the bins' centres: (2, Q, 1, 1).
    const double t = info.decoding.mode == data::AbDecode::Annealed ? info.decoding.temperature : 1.0;
    const auto scaled = binary(g, "Div", "decode.annealed", "logits", g.floats("decode.temperature", {float(t)}));
    auto& softmax = g.node("Softmax", "decode.softmax", {scaled});
    set_attribute(softmax, "axis", int64_t{1});
    const auto centres = info.bins.centres().to(torch::kFloat32).t().reshape({2, nc, 1, 1});
    const auto decoded = conv(g, "decode.expectation", OnnxGraph::output(softmax), centres, torch::Tensor(),
                              /*stride=*/1, Pads{}, /*dilation=*/1, /*groups=*/1);
    rename_value(graph, decoded, "ab");
    describe_value(*graph.add_output(), "ab", {"batch", int64_t{2}, "height", "width"},
                   fmt::format("CIELAB a and b decoded from the logits ({}), to recombine with the image's own "
                               "lightness L",
                               metadata_value(info.decoding)));
  }

  summary.model = net.name();
  summary.outputs = info.decode ? what + ", decoded ab" : what;
  summary.nodes = graph.node_size();
  summary.weights = count_weights(graph);
  return serialize(model);
}

ExportSummary export_colourizer(const std::filesystem::path& checkpoint, const std::string& source,
                                const std::filesystem::path& out, bool decode) {
  train::CheckpointReader reader(checkpoint);
  const auto& meta = reader.meta();
  ColourizerInfo info;
  info.source = source;
  info.net = train::network_config(meta.config);
  info.target = meta.config.target;
  info.palette = meta.palette;
  info.bins = meta.bins;
  info.decoding = train::ab_decoding(meta.config);
  info.decode = decode;
  auto net = train::load_model(reader);
  ExportSummary summary;
  const auto bytes = colourizer_onnx(*net, info, summary);
  return write_onnx_file(out, bytes, summary);
}

}  // namespace tint::onnx_export
