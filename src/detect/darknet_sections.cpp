// One parse function per darknet section type (see darknet_sections.h), shapes as darknet's parser computes them and
// every index and size checked against the file. The layer arithmetic follows AlexeyAB's darknet:
// convolutional_layer.c (output (h + 2 pad - size) / stride + 1, pad=1 meaning size/2), maxpool_layer.c (total padding
// `padding`, default size - 1, of which padding/2 before), route_layer.c (each input's channel slice group_id of
// groups, concatenated), shortcut_layer.c (the previous output plus each `from` output, then the activation),
// upsample_layer.c (nearest).
#include "darknet_sections.h"

#include <set>
#include <utility>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tint/core/error.h"

namespace tint::detect {
namespace {

// The layer reads the previous layer's output (what a layer reads unless it names others).
void read_previous(const CfgSection& s, const SectionInput& in, DarknetLayerInfo& info) {
  if (in.index > 0 && in.earlier.back().type == "yolo")
    s.fail("", fmt::format("reads the output of yolo layer {}, which tint does not compute (darknet's yolo output is "
                           "its input with some channels through the logistic)",
                           in.index - 1));
  info.inputs = {in.index - 1};
}

// A positive index is absolute, a negative one relative to this layer, as darknet reads route and shortcut.
int earlier_layer(const CfgSection& s, const SectionInput& in, const std::string& key, int value) {
  const int index = value < 0 ? in.index + value : value;
  if (index < 0 || index >= in.index)
    s.fail(key, fmt::format("{} refers to layer {}: expected an earlier layer (0 to {})", value, index, in.index - 1));
  if (in.earlier[index].type == "yolo")
    s.fail(key, fmt::format("{} refers to yolo layer {}, whose output tint does not compute", value, index));
  return index;
}

int at_least(const CfgSection& s, const std::string& key, int value, int minimum) {
  if (value < minimum) s.fail(key, fmt::format("expected at least {}, got {}", minimum, value));
  return value;
}

// The layer's output is its input's shape ([shortcut], [dropout], [yolo]).
void same_shape_out(const SectionInput& in, DarknetLayerInfo& info) {
  info.out_channels = in.channels;
  info.out_height = in.height;
  info.out_width = in.width;
}

ParsedSection parse_convolutional(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  auto& info = out.info;
  spec.kind = DarknetLayerSpec::Kind::convolutional;
  read_previous(s, in, info);
  const int64_t prev_c = in.channels, prev_h = in.height, prev_w = in.width;
  const int filters = at_least(s, "filters", s.get_int("filters", 1), 1);
  const int size = at_least(s, "size", s.get_int("size", 1), 1);
  const int stride = at_least(s, "stride", s.get_int("stride", 1), 1);
  const int groups = at_least(s, "groups", s.get_int("groups", 1), 1);
  const int pad = s.get_int("pad", 0);
  if (pad != 0 && pad != 1) s.fail("pad", fmt::format("expected 0 or 1, got {}", pad));
  const int padding = pad ? size / 2 : at_least(s, "padding", s.get_int("padding", 0), 0);
  const int batch_normalize = s.get_int("batch_normalize", 0);
  if (batch_normalize != 0 && batch_normalize != 1)
    s.fail("batch_normalize", fmt::format("expected 0 or 1, got {}", batch_normalize));
  if (prev_c % groups != 0 || filters % groups != 0)
    s.fail("groups",
           fmt::format("{} groups must divide the {} input channels and the {} filters", groups, prev_c, filters));
  info.out_channels = filters;
  info.out_height = (prev_h + 2 * int64_t{padding} - size) / stride + 1;
  info.out_width = (prev_w + 2 * int64_t{padding} - size) / stride + 1;
  if (prev_h + 2 * int64_t{padding} < size || prev_w + 2 * int64_t{padding} < size)
    s.fail("size", fmt::format("a {}x{} kernel does not fit the {}x{} input (padding {})", size, size, prev_w, prev_h,
                               padding));
  // Refused before anything is allocated: a crafted cfg must not ask for terabytes.
  out.weights = double(filters) * double(prev_c / groups) * double(size) * double(size);
  if (out.weights > kMaxDarknetLayerWeights)
    s.fail("", fmt::format("{} filters of {}x{}x{} weights are {:.3g} values: expected at most {:.3g} per layer",
                           filters, prev_c / groups, size, size, out.weights, kMaxDarknetLayerWeights));
  const double network_weights = in.network_weights + out.weights;
  if (network_weights > kMaxDarknetNetworkWeights)
    s.fail("", fmt::format("the network reaches {:.0f} weights here: expected at most {:.0f} in all", network_weights,
                           kMaxDarknetNetworkWeights));
  // The cfg's default activation is darknet's, logistic (OpenCV's importer assumes linear instead).
  spec.conv = DarknetConv(static_cast<int>(prev_c), filters, size, stride, padding, groups, batch_normalize == 1,
                          s.get_activation("logistic"), in.batchnorm_epsilon);
  return out;
}

ParsedSection parse_shortcut(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  auto& info = out.info;
  spec.kind = DarknetLayerSpec::Kind::shortcut;
  if (in.index == 0) s.fail("", "a shortcut needs a previous layer");
  read_previous(s, in, info);
  for (int v : s.get_ints("from")) {
    const int index = earlier_layer(s, in, "from", v);
    const auto& o = in.earlier[index];
    if (o.out_channels != in.channels || o.out_height != in.height || o.out_width != in.width)
      s.fail("from", fmt::format("layer {} outputs {}x{}x{} (c x h x w), the previous layer {}x{}x{}: expected the "
                                 "same shape",
                                 index, o.out_channels, o.out_height, o.out_width, in.channels, in.height, in.width));
    spec.from.push_back(index);
    info.inputs.push_back(index);
  }
  spec.activation = s.get_activation("linear");
  same_shape_out(in, info);
  return out;
}

ParsedSection parse_route(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  auto& info = out.info;
  spec.kind = DarknetLayerSpec::Kind::route;
  spec.groups = at_least(s, "groups", s.get_int("groups", 1), 1);
  spec.group_id = s.get_int("group_id", 0);
  if (spec.group_id < 0 || spec.group_id >= spec.groups)
    s.fail("group_id",
           fmt::format("expected 0 to {} (groups={}), got {}", spec.groups - 1, spec.groups, spec.group_id));
  for (int v : s.get_ints("layers")) {
    const int index = earlier_layer(s, in, "layers", v);
    const auto& o = in.earlier[index];
    if (!spec.from.empty() && (o.out_height != info.out_height || o.out_width != info.out_width))
      s.fail("layers",
             fmt::format("layer {} outputs {}x{} (h x w), layer {} {}x{}: routed layers must have the same "
                         "height and width",
                         index, o.out_height, o.out_width, spec.from.front(), info.out_height, info.out_width));
    if (o.out_channels % spec.groups != 0)
      s.fail("groups",
             fmt::format("{} groups must divide the {} channels of layer {}", spec.groups, o.out_channels, index));
    spec.from.push_back(index);
    info.out_channels += o.out_channels / spec.groups;
    info.out_height = o.out_height;
    info.out_width = o.out_width;
  }
  if (spec.from.empty()) s.fail("layers", "expected at least one layer index");
  info.inputs = spec.from;
  return out;
}

ParsedSection parse_upsample(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  auto& info = out.info;
  spec.kind = DarknetLayerSpec::Kind::upsample;
  read_previous(s, in, info);
  // Darknet reads a negative stride as downsampling by averaging; not supported here.
  spec.stride = at_least(s, "stride", s.get_int("stride", 2), 1);
  info.out_channels = in.channels;
  info.out_height = in.height * spec.stride;
  info.out_width = in.width * spec.stride;
  return out;
}

ParsedSection parse_maxpool(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  auto& info = out.info;
  spec.kind = DarknetLayerSpec::Kind::maxpool;
  read_previous(s, in, info);
  spec.stride = at_least(s, "stride", s.get_int("stride", 1), 1);
  spec.size = at_least(s, "size", s.get_int("size", spec.stride), 1);
  const int64_t padding = s.get_int("padding", spec.size - 1);
  if (padding < 0 || padding >= spec.size)
    s.fail("padding", fmt::format("expected 0 to {} (size - 1, darknet's default), got {}", spec.size - 1, padding));
  spec.pad_before = static_cast<int>(padding / 2);
  spec.pad_after = static_cast<int>(padding - padding / 2);
  if (in.height + padding < spec.size || in.width + padding < spec.size)
    s.fail("size", fmt::format("a {}x{} window does not fit the {}x{} input (padding {})", spec.size, spec.size,
                               in.width, in.height, padding));
  info.out_channels = in.channels;
  info.out_height = (in.height + padding - spec.size) / spec.stride + 1;
  info.out_width = (in.width + padding - spec.size) / spec.stride + 1;
  return out;
}

ParsedSection parse_dropout(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  auto& spec = *out.layer;
  spec.kind = DarknetLayerSpec::Kind::dropout;
  read_previous(s, in, out.info);
  spec.probability = s.get_float("probability", 0.2f);
  if (!(spec.probability >= 0 && spec.probability < 1))
    s.fail("probability", fmt::format("expected a probability in [0, 1), got {}", spec.probability));
  same_shape_out(in, out.info);
  return out;
}

ParsedSection parse_yolo(const CfgSection& s, const SectionInput& in) {
  ParsedSection out;
  out.layer->kind = DarknetLayerSpec::Kind::yolo;
  if (in.index == 0) s.fail("", "a yolo layer needs a previous layer");
  read_previous(s, in, out.info);
  YoloHead head;
  head.num_classes = at_least(s, "classes", s.get_int("classes", 20), 1);
  if (head.num_classes > kMaxDarknetClasses)
    s.fail("classes", fmt::format("expected at most {} classes, got {}", kMaxDarknetClasses, head.num_classes));
  const int num = at_least(s, "num", s.get_int("num", 1), 1);
  if (num > kMaxDarknetAnchors)
    s.fail("num", fmt::format("expected at most {} anchors, got {}", kMaxDarknetAnchors, num));
  const auto anchors = s.get_floats("anchors");
  if (anchors.size() != 2 * static_cast<size_t>(num))
    s.fail("anchors", fmt::format("expected num={} (w, h) pairs, {} numbers, got {}", num, 2 * num, anchors.size()));
  for (size_t a = 0; a < anchors.size(); a += 2) {
    if (!(anchors[a] > 0 && anchors[a + 1] > 0))
      s.fail("anchors", fmt::format("anchor {} is {},{}: expected positive sizes", a / 2, anchors[a], anchors[a + 1]));
    head.all_anchors.push_back({anchors[a], anchors[a + 1]});
  }
  // Without a mask darknet's make_yolo_layer uses every anchor in order.
  if (s.has("mask")) {
    head.mask = s.get_ints("mask");
  } else {
    for (int a = 0; a < num; ++a) head.mask.push_back(a);
  }
  std::set<int> seen;
  for (int m : head.mask) {
    if (m < 0 || m >= num) s.fail("mask", fmt::format("anchor index {} is out of range: expected 0 to {}", m, num - 1));
    if (!seen.insert(m).second) s.fail("mask", fmt::format("anchor index {} is given twice", m));
    head.anchors.push_back(head.all_anchors[m]);
  }
  head.scale_x_y = s.get_float("scale_x_y", 1.0f);
  if (!(head.scale_x_y > 0)) s.fail("scale_x_y", fmt::format("expected a positive number, got {}", head.scale_x_y));
  head.ignore_thresh = s.get_float("ignore_thresh", 0.5f);
  head.truth_thresh = s.get_float("truth_thresh", 1.0f);
  head.iou_thresh = s.get_float("iou_thresh", 1.0f);
  head.iou_normalizer = s.get_float("iou_normalizer", 0.75f);
  head.obj_normalizer = s.get_float("obj_normalizer", 1.0f);
  head.cls_normalizer = s.get_float("cls_normalizer", 1.0f);
  head.iou_loss = s.get_string("iou_loss", "mse");
  if (in.channels != head.channels())
    s.fail("", fmt::format("its input (layer {}) has {} channels: expected {} = {} anchors (mask) x (5 + {} classes); "
                           "set filters={} in layer {}",
                           in.index - 1, in.channels, head.channels(), head.num_anchors(), head.num_classes,
                           head.channels(), in.index - 1));
  same_shape_out(in, out.info);
  out.head = std::move(head);
  return out;
}

}  // namespace

const std::map<std::string, SectionParser>& darknet_section_parsers() {
  static const std::map<std::string, SectionParser> parsers = {
      {"convolutional", parse_convolutional},
      {"shortcut", parse_shortcut},
      {"route", parse_route},
      {"upsample", parse_upsample},
      {"maxpool", parse_maxpool},
      {"dropout", parse_dropout},
      {"yolo", parse_yolo},
  };
  return parsers;
}

ParsedSection parse_section(const CfgSection& s, const SectionInput& in) {
  const auto& parsers = darknet_section_parsers();
  const auto parser = parsers.find(s.type);
  if (parser == parsers.end()) {
    std::vector<std::string> types;
    for (const auto& [type, parse] : parsers) types.push_back(type);
    s.fail("", fmt::format("unsupported section type [{}]: expected one of [{}]", s.type, fmt::join(types, "], [")));
  }
  ParsedSection out = parser->second(s, in);
  out.info.type = s.type;
  const DarknetLayerInfo& info = out.info;
  if (info.out_height < 1 || info.out_width < 1 || info.out_channels < 1)
    s.fail("", fmt::format("its output would be {}x{}x{} (c x h x w): the input is too small", info.out_channels,
                           info.out_height, info.out_width));
  if (info.out_height > kMaxDarknetSide || info.out_width > kMaxDarknetSide || info.out_channels > kMaxDarknetChannels)
    s.fail("", fmt::format("its output would be {}x{}x{} (c x h x w): expected at most {} channels and {} pixels a "
                           "side",
                           info.out_channels, info.out_height, info.out_width, kMaxDarknetChannels, kMaxDarknetSide));
  return out;
}

}  // namespace tint::detect
