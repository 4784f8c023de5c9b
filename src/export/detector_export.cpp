#include "tint/export/detector_export.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "layer_exporters.h"
#include "onnx_graph.h"
#include "tint/core/error.h"
#include "tint/data/detection_labels.h"
#include "tint/detect/darknet_weights.h"

namespace tint::onnx_export {

namespace {

using Spec = detect::DarknetLayerSpec;

std::string activate(OnnxGraph& g, const std::string& name, const std::string& x, detect::Activation a) {
  switch (a) {
    case detect::Activation::linear:
      return x;
    case detect::Activation::leaky:
      return leaky_relu(g, name + ".leaky", x, 0.1f);  // darknet's slope (activations.h, leaky_activate)
    case detect::Activation::relu:
      return relu(g, name + ".relu", x);
    case detect::Activation::logistic:
      return logistic(g, name + ".logistic", x);
    case detect::Activation::mish:
      return mish(g, name + ".mish", x);
    case detect::Activation::swish:
      return swish(g, name + ".swish", x);
  }
  throw Error("unknown activation in layer " + name);
}

// Layer i of `model`, reading `outputs` (the values of the layers before it) and `prev` (the previous layer's, or
// the input for layer 0).
std::string export_darknet_layer(OnnxGraph& g, const detect::DarknetModelImpl& model, int i,
                                 const std::vector<std::string>& outputs, const std::string& prev) {
  const Spec& spec = model.spec(i);
  const std::string name = "layer" + std::to_string(i);
  switch (spec.kind) {
    case Spec::Kind::convolutional: {
      const auto& c = *spec.conv;
      const auto pads = Pads::symmetric(c.padding);
      const auto y = c.bn ? conv_batchnorm_folded(g, name + ".conv", prev, *c.conv, *c.bn, c.stride, pads, c.groups)
                          : conv(g, name + ".conv", prev, c.conv->weight, c.conv->bias, c.stride, pads,
                                 /*dilation=*/1, c.groups);
      return activate(g, name, y, c.activation);
    }
    case Spec::Kind::shortcut: {
      std::vector<std::string> terms = {prev};
      for (const int from : spec.from) terms.push_back(outputs.at(from));
      return activate(g, name, add(g, name + ".add", terms), spec.activation);
    }
    case Spec::Kind::route: {
      std::vector<std::string> parts;
      for (const int from : spec.from) {
        if (spec.groups == 1) {
          parts.push_back(outputs.at(from));
        } else {
          const int64_t part = model.layers().at(from).out_channels / spec.groups;
          parts.push_back(channel_slice(g, name + ".slice", outputs.at(from), part * spec.group_id, part));
        }
      }
      return parts.size() == 1 ? parts.front() : concat(g, name + ".concat", parts);
    }
    case Spec::Kind::upsample:
      return upsample_nearest(g, name + ".upsample", prev, spec.stride);
    case Spec::Kind::maxpool:
      return max_pool(g, name + ".maxpool", prev, spec.size, spec.stride,
                      Pads{spec.pad_before, spec.pad_before, spec.pad_after, spec.pad_after});
    case Spec::Kind::dropout:  // the identity at inference
    case Spec::Kind::yolo:     // its input is the head's output
      return prev;
  }
  throw Error(fmt::format("{}: cannot export layer {} ({})", model.cfg().file_name, i, model.layers().at(i).type));
}

// Darknet's box decoding of head `k` (detect::decode, yolo_head.cpp): boxes (batch, 4, A*H*W) as x1, y1, x2, y2 in
// input pixels and scores (batch, C, A*H*W) = sigmoid(objectness) x sigmoid(class), the cells in (anchor, row,
// column) order as detect::decode flattens them. Written in what OpenCV 4.6 computes for any batch: it has no
// broadcasting between two values, and adds a constant of the input's shape as a second input of batch 1. So the
// per-cell offsets are added with the cells as channels ((batch, 2*H*W, 1, 1) plus a per-channel constant), and the
// objectness reaches every class channel through a 1 x 1 convolution of ones (exact: one product by 1 per value).
std::pair<std::vector<std::string>, std::vector<std::string>> decode_head(OnnxGraph& g, const std::string& raw,
                                                                          const detect::YoloHead& head,
                                                                          const detect::DarknetLayerInfo& shape,
                                                                          int input_w, int input_h,
                                                                          const std::string& name) {
  const int64_t c = head.num_classes, h = shape.out_height, w = shape.out_width;
  const float s = head.scale_x_y;
  // Each cell's column then row, less darknet's (s - 1) / 2, and the cell's size in pixels, per channel.
  const auto columns = torch::arange(w, torch::kFloat).view({1, w}).expand({h, w}).reshape({-1});
  const auto rows = torch::arange(h, torch::kFloat).view({h, 1}).expand({h, w}).reshape({-1});
  // (2*H*W, 1, 1), without a batch dimension: OpenCV adds a constant of the input's own shape as a second input of
  // batch 1 (an Eltwise that refuses another batch), any other as a per-channel bias.
  const auto offsets = g.weight(name + ".grid", (torch::cat({columns, rows}) - 0.5f * (s - 1)).view({-1, 1, 1}));
  const auto cell = g.weight(
      name + ".cell", torch::cat({torch::full({h * w}, float(input_w) / w), torch::full({h * w}, float(input_h) / h)})
                          .view({1, -1, 1, 1}));
  const auto scale = g.floats(name + ".scale_x_y", {s});
  const auto half = g.floats(name + ".half", {0.5f});
  const auto as_channels = g.int64s(name + ".as_channels", {0, 2 * h * w, 1, 1});  // 0: the batch as it is
  const auto flat = g.int64s(name + ".flat", {0, -1, h * w});
  std::vector<std::string> boxes, scores;
  for (int a = 0; a < head.num_anchors(); ++a) {
    const std::string an = name + ".anchor" + std::to_string(a);
    const auto part = channel_slice(g, an, raw, a * (5 + c), 5 + c);
    const auto txy =
        OnnxGraph::output(g.node("Reshape", an + ".txy", {channel_slice(g, an + ".xy", part, 0, 2), as_channels}));
    const auto centre =
        binary(g, "Mul", an + ".centre",
               binary(g, "Add", an + ".cells",
                      binary(g, "Mul", an + ".scaled", logistic(g, an + ".sigmoid", txy), scale), offsets),
               cell);
    const auto anchor = g.weight(
        an + ".size", torch::cat({torch::full({h * w}, head.anchors[a][0]), torch::full({h * w}, head.anchors[a][1])})
                          .view({1, -1, 1, 1}));
    const auto twh =
        OnnxGraph::output(g.node("Reshape", an + ".twh", {channel_slice(g, an + ".wh", part, 2, 2), as_channels}));
    const auto wh = binary(g, "Mul", an + ".size_px", OnnxGraph::output(g.node("Exp", an + ".exp", {twh})), anchor);
    const auto radius = binary(g, "Mul", an + ".radius", wh, half);
    const auto box = concat(g, an + ".box",
                            {binary(g, "Sub", an + ".x1y1", centre, radius),
                             binary(g, "Add", an + ".x2y2", centre, radius)});  // (batch, 4*H*W, 1, 1)
    const auto objectness = logistic(g, an + ".objectness", channel_slice(g, an + ".tobj", part, 4, 1));
    const auto spread = conv(g, an + ".objectness_per_class", objectness, torch::ones({c, 1, 1, 1}), torch::Tensor(),
                             /*stride=*/1, Pads{}, /*dilation=*/1, /*groups=*/1);
    const auto classes = logistic(g, an + ".classes", channel_slice(g, an + ".tcls", part, 5, c));
    const auto score = binary(g, "Mul", an + ".score", classes, spread);
    boxes.push_back(OnnxGraph::output(g.node("Reshape", an + ".boxes", {box, flat})));
    scores.push_back(OnnxGraph::output(g.node("Reshape", an + ".scores", {score, flat})));
  }
  return {boxes, scores};
}

nlohmann::json heads_json(const detect::DarknetModelImpl& model) {
  auto heads = nlohmann::json::array();
  for (size_t k = 0; k < model.heads().size(); ++k) {
    const auto& h = model.heads()[k];
    const auto& info = model.layers().at(model.yolo_layers()[k]);
    auto anchors = nlohmann::json::array();
    for (const auto& a : h.anchors) anchors.push_back({a[0], a[1]});
    heads.push_back({{"output", "head" + std::to_string(k)},
                     {"layer", model.yolo_layers()[k]},
                     {"grid", {info.out_height, info.out_width}},
                     {"anchors", anchors},
                     {"mask", h.mask},
                     {"classes", h.num_classes},
                     {"scale_x_y", h.scale_x_y}});
  }
  return heads;
}

}  // namespace

std::string detector_onnx(detect::DarknetModelImpl& model, const DetectorInfo& info, ExportSummary& summary) {
  model.eval();
  const int64_t c = model.input_channels(), h = model.input_height(), w = model.input_width();
  const auto& heads = model.heads();

  const std::string input_doc = fmt::format(
      "image: RGB in [0, 1] (8-bit values / 255), shape (batch, {}, {}, {}): the photo stretched (or letterboxed) "
      "to {} x {}",
      c, h, w, w, h);
  std::string output_doc = fmt::format(
      "head0..head{}: the raw inputs of the yolo layers, (batch, A*(5+C), H/s, W/s), each anchor's channels "
      "tx, ty, tw, th, objectness, C class logits; boxes as darknet decodes them: x = (col + sigmoid(tx) * s - "
      "(s - 1) / 2) / grid_w, w = exp(tw) * anchor_w / input_w (s = scale_x_y), score = sigmoid(objectness) * "
      "sigmoid(class); anchors per head in metadata heads",
      heads.size() - 1);
  if (info.decode)
    output_doc +=
        ". boxes (batch, B, 4): x1, y1, x2, y2 in input pixels, B every anchor of every cell of every head; scores "
        "(batch, B, C): objectness x class probability; keep those above a confidence, then NMS per class";

  onnx::ModelProto proto;
  start_model(proto, info.name,
              fmt::format("tint darknet detector {} from {}. Input {}. Output {}.", info.name, info.source, input_doc,
                          output_doc));
  add_metadata(proto, "model", info.name);
  add_metadata(proto, "source", info.source);
  add_metadata(proto, "input", input_doc);
  add_metadata(proto, "output", output_doc);
  add_metadata(proto, "heads", heads_json(model).dump());
  if (!info.class_names.empty()) add_metadata(proto, "classes", nlohmann::json(info.class_names).dump());

  auto& graph = *proto.mutable_graph();
  OnnxGraph g(graph);
  const std::string input = g.fresh("image");
  describe_value(*graph.add_input(), input, {"batch", c, h, w}, input_doc);
  std::vector<std::string> outputs;
  for (int i = 0; i < model.num_layers(); ++i)
    outputs.push_back(export_darknet_layer(g, model, i, outputs, i == 0 ? input : outputs.back()));

  for (size_t k = 0; k < heads.size(); ++k) {
    const int layer = model.yolo_layers()[k];
    const auto& shape = model.layers().at(layer);
    const std::string head = "head" + std::to_string(k);
    // A head's value is written by the node of the convolution before the yolo layer: the graph output takes its
    // name (an Identity when that value is also the input or another head, which a real cfg never has).
    const auto& value = outputs.at(layer);
    bool produced = false;
    for (const auto& n : graph.node())
      for (const auto& o : n.output()) produced = produced || o == value;
    if (produced) {
      rename_value(graph, value, head);
      for (auto& o : outputs)
        if (o == value) o = head;
    } else {
      g.node("Identity", head, {value});
    }
    describe_value(*graph.add_output(), head, {"batch", shape.out_channels, shape.out_height, shape.out_width},
                   fmt::format("the raw input of yolo layer {} ({} anchors, {} classes)", layer, heads[k].num_anchors(),
                               heads[k].num_classes));
  }

  if (info.decode) {
    std::vector<std::string> boxes, scores;
    for (size_t k = 0; k < heads.size(); ++k) {
      const auto [b, sc] = decode_head(g, "head" + std::to_string(k), heads[k],
                                       model.layers().at(model.yolo_layers()[k]), w, h, "decode" + std::to_string(k));
      boxes.insert(boxes.end(), b.begin(), b.end());
      scores.insert(scores.end(), sc.begin(), sc.end());
    }
    int64_t cells = 0;
    for (size_t k = 0; k < heads.size(); ++k) {
      const auto& shape = model.layers().at(model.yolo_layers()[k]);
      cells += heads[k].num_anchors() * shape.out_height * shape.out_width;
    }
    const auto transposed = [&](const std::string& name, const std::vector<std::string>& parts) {
      auto& all = g.node("Concat", name + ".all", parts);
      set_attribute(all, "axis", int64_t{2});
      auto& t = g.node("Transpose", name, {OnnxGraph::output(all)});
      set_attribute(t, "perm", std::vector<int64_t>{0, 2, 1});
      return OnnxGraph::output(t);
    };
    rename_value(graph, transposed("boxes_t", boxes), "boxes");
    rename_value(graph, transposed("scores_t", scores), "scores");
    const int64_t c_all = heads.front().num_classes;
    for (const auto& head : heads)
      if (head.num_classes != c_all) throw Error(info.name + ": yolo heads with different numbers of classes");
    describe_value(*graph.add_output(), "boxes", {"batch", cells, int64_t{4}},
                   "x1, y1, x2, y2 in input pixels, every anchor of every cell of every head (head, anchor, row, "
                   "column order)");
    describe_value(*graph.add_output(), "scores", {"batch", cells, c_all},
                   "sigmoid(objectness) x sigmoid(class logit) per box and class: keep those above a confidence, "
                   "then non-maximum suppression per class");
  }

  summary.model = info.name;
  summary.outputs = info.decode ? fmt::format("{} raw yolo heads, decoded boxes and scores", heads.size())
                                : fmt::format("{} raw yolo heads", heads.size());
  summary.nodes = graph.node_size();
  summary.weights = count_weights(graph);
  return serialize(proto);
}

ExportSummary export_detector(const std::filesystem::path& cfg, const std::filesystem::path& weights,
                              const std::filesystem::path& names, const std::filesystem::path& out, bool decode) {
  auto model = detect::build_darknet_model(cfg);
  detect::load_weights(*model, weights);
  DetectorInfo info;
  info.name = cfg.stem().string();
  info.source = cfg.filename().string() + " + " + weights.filename().string();
  info.decode = decode;
  if (!names.empty()) info.class_names = data::read_names(names);
  ExportSummary summary;
  const auto bytes = detector_onnx(*model, info, summary);
  return write_onnx_file(out, bytes, summary);
}

}  // namespace tint::onnx_export
