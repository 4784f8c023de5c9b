// Building a DarknetModel from its cfg (shapes as darknet's parser computes them, every index and size checked
// against the file) and running it. The layer arithmetic follows AlexeyAB's darknet: convolutional_layer.c
// (output (h + 2 pad - size) / stride + 1, pad=1 meaning size/2), maxpool_layer.c (total padding `padding`, default
// size - 1, of which padding/2 before), route_layer.c (each input's channel slice group_id of groups, concatenated),
// shortcut_layer.c (the previous output plus each `from` output, then the activation), upsample_layer.c (nearest).
#include "tint/detect/darknet_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::detect {

struct DarknetModelImpl::Layer {
  enum class Kind { convolutional, shortcut, route, upsample, maxpool, dropout, yolo };
  Kind kind = Kind::dropout;
  std::vector<int> from;  // shortcut: the layers added to the previous one; route: the layers concatenated
  Activation activation = Activation::linear;  // shortcut
  int groups = 1, group_id = 0;                 // route
  int size = 1, stride = 1;                     // maxpool, upsample
  int pad_before = 0, pad_after = 0;            // maxpool
  double probability = 0;                       // dropout
  DarknetConv conv{nullptr};
};

namespace {

// Bounds that no real cfg comes near, checked so that a crafted one is an error rather than an allocation failure or
// an integer overflow.
constexpr int64_t kMaxSide = 1 << 16;        // feature map height or width
constexpr int64_t kMaxChannels = 1 << 20;    // feature map channels
constexpr double kMaxLayerWeights = 1 << 28;  // a convolution's weights (1 GiB of float32)
constexpr double kMaxNetworkWeights = 1 << 28;  // all of them together (Yolo-Fastest 1.1-xl has 9.2e5)
constexpr int kMaxClasses = 1 << 16;
constexpr int kMaxAnchors = 1 << 10;

torch::Tensor darknet_activate(torch::Tensor y, Activation activation) {
  // In place where no gradient is recorded: one output buffer fewer per layer.
  const bool in_place = !torch::GradMode::is_enabled();
  switch (activation) {
    case Activation::linear: return y;
    case Activation::leaky: return in_place ? torch::leaky_relu_(y, 0.1) : torch::leaky_relu(y, 0.1);
    case Activation::relu: return in_place ? torch::relu_(y) : torch::relu(y);
    case Activation::logistic: return in_place ? torch::sigmoid_(y) : torch::sigmoid(y);
    case Activation::mish: return torch::mish(y);
    case Activation::swish: return in_place ? torch::silu_(y) : torch::silu(y);
  }
  return y;
}

// A copy of `t` with `format`'s strides spelled out (see models/colour_net.cpp: a tensor with one channel counts as
// channels-last without NHWC strides).
torch::Tensor darknet_with_strides_of(const torch::Tensor& t, torch::MemoryFormat format) {
  if (t.is_contiguous(format) && (format != torch::MemoryFormat::ChannelsLast || t.stride(1) == 1)) return t;
  return torch::empty_like(t, format).copy_(t);
}

}  // namespace

DarknetConvImpl::DarknetConvImpl(int in_channels, int filters, int size, int stride, int padding, int groups,
                                 bool batch_normalize, Activation activation, double batchnorm_epsilon)
    : size(size), stride(stride), padding(padding), groups(groups), activation(activation) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, filters, size)
                                                       .stride(stride)
                                                       .padding(padding)
                                                       .groups(groups)
                                                       .bias(!batch_normalize)));
  if (batch_normalize)
    bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNormOptions(filters)
                                                          .eps(batchnorm_epsilon)
                                                          .momentum(kDarknetBatchnormMomentum)));
}

torch::Tensor DarknetConvImpl::forward(const torch::Tensor& x) const {
  torch::Tensor y;
  const bool recording = torch::GradMode::is_enabled() && conv->weight.requires_grad();
  if (bn && !is_training() && !recording) {
    // weight * gamma / sqrt(var + eps), beta - mean * gamma / sqrt(var + eps): one convolution instead of a
    // convolution and a batchnorm pass over its output.
    const std::vector<int64_t> versions = {
        conv->weight._version(), bn->weight._version(), bn->bias._version(), bn->running_mean._version(),
        bn->running_var._version(), reinterpret_cast<int64_t>(conv->weight.data_ptr()),
        static_cast<int64_t>(conv->weight.suggest_memory_format()), reinterpret_cast<int64_t>(bn->weight.data_ptr()),
        reinterpret_cast<int64_t>(bn->running_var.data_ptr()), reinterpret_cast<int64_t>(bn->running_mean.data_ptr()),
        reinterpret_cast<int64_t>(bn->bias.data_ptr())};
    if (versions != folded_versions_ || !folded_weight_.defined()) {
      c10::InferenceMode normal(false);  // the cache must stay an ordinary tensor even when made in inference mode
      torch::NoGradGuard no_grad;
      const auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
      folded_weight_ = (conv->weight * scale.view({-1, 1, 1, 1})).contiguous(conv->weight.suggest_memory_format());
      folded_bias_ = bn->bias - bn->running_mean * scale;
      folded_versions_ = versions;
    }
    y = torch::conv2d(x, folded_weight_, folded_bias_, stride, padding, /*dilation=*/1, groups);
  } else {
    y = conv.ptr()->forward(x);
    if (bn) y = bn.ptr()->forward(y);
  }
  return darknet_activate(std::move(y), activation);
}

DarknetModelImpl::DarknetModelImpl(DarknetCfg cfg, double batchnorm_epsilon) : cfg_(std::move(cfg)) {
  if (cfg_.sections.empty() || cfg_.sections.front().type != "net")
    throw Error(fmt::format("{}: expected [net] as the first section", cfg_.file_name));
  const CfgSection& net = cfg_.net();
  input_width_ = net.require_int("width");
  input_height_ = net.require_int("height");
  input_channels_ = net.require_int("channels");
  if (input_width_ < 1) net.fail("width", fmt::format("expected a positive width, got {}", input_width_));
  if (input_height_ < 1) net.fail("height", fmt::format("expected a positive height, got {}", input_height_));
  if (input_channels_ < 1) net.fail("channels", fmt::format("expected at least 1 channel, got {}", input_channels_));
  if (input_width_ > kMaxSide || input_height_ > kMaxSide || input_channels_ > kMaxChannels)
    net.fail("", fmt::format("an input of {}x{}x{} (w x h x c): expected at most {} pixels a side and {} channels",
                             input_width_, input_height_, input_channels_, kMaxSide, kMaxChannels));
  if (cfg_.num_layers() == 0) net.fail("", "the cfg has no layers after [net]");
  convs_ = register_module("layers", std::make_shared<torch::nn::Module>("DarknetLayers"));

  double network_weights = 0;
  for (int i = 0; i < cfg_.num_layers(); ++i) {
    const CfgSection& s = cfg_.layer(i);
    auto spec = std::make_shared<Layer>();
    DarknetLayerInfo info;
    info.type = s.type;
    // The previous layer's output: what a layer reads unless it names others.
    const int64_t prev_c = i == 0 ? input_channels_ : layers_.back().out_channels;
    const int64_t prev_h = i == 0 ? input_height_ : layers_.back().out_height;
    const int64_t prev_w = i == 0 ? input_width_ : layers_.back().out_width;
    const auto read_previous = [&] {
      if (i > 0 && layers_.back().type == "yolo")
        s.fail("", fmt::format("reads the output of yolo layer {}, which tint does not compute (darknet's yolo "
                               "output is its input with some channels through the logistic)",
                               i - 1));
      info.inputs = {i - 1};
    };
    // A positive index is absolute, a negative one relative to this layer, as darknet reads route and shortcut.
    const auto earlier_layer = [&](const std::string& key, int value) {
      const int index = value < 0 ? i + value : value;
      if (index < 0 || index >= i)
        s.fail(key, fmt::format("{} refers to layer {}: expected an earlier layer (0 to {})", value, index, i - 1));
      if (layers_[index].type == "yolo")
        s.fail(key, fmt::format("{} refers to yolo layer {}, whose output tint does not compute", value, index));
      return index;
    };
    const auto positive = [&](const std::string& key, int value, int minimum) {
      if (value < minimum) s.fail(key, fmt::format("expected at least {}, got {}", minimum, value));
      return value;
    };

    if (s.type == "convolutional") {
      spec->kind = Layer::Kind::convolutional;
      read_previous();
      const int filters = positive("filters", s.get_int("filters", 1), 1);
      const int size = positive("size", s.get_int("size", 1), 1);
      const int stride = positive("stride", s.get_int("stride", 1), 1);
      const int groups = positive("groups", s.get_int("groups", 1), 1);
      const int pad = s.get_int("pad", 0);
      if (pad != 0 && pad != 1) s.fail("pad", fmt::format("expected 0 or 1, got {}", pad));
      const int padding = pad ? size / 2 : positive("padding", s.get_int("padding", 0), 0);
      const int batch_normalize = s.get_int("batch_normalize", 0);
      if (batch_normalize != 0 && batch_normalize != 1)
        s.fail("batch_normalize", fmt::format("expected 0 or 1, got {}", batch_normalize));
      if (prev_c % groups != 0 || filters % groups != 0)
        s.fail("groups", fmt::format("{} groups must divide the {} input channels and the {} filters", groups, prev_c,
                                     filters));
      info.out_channels = filters;
      info.out_height = (prev_h + 2 * int64_t{padding} - size) / stride + 1;
      info.out_width = (prev_w + 2 * int64_t{padding} - size) / stride + 1;
      if (prev_h + 2 * int64_t{padding} < size || prev_w + 2 * int64_t{padding} < size)
        s.fail("size", fmt::format("a {}x{} kernel does not fit the {}x{} input (padding {})", size, size, prev_w,
                                   prev_h, padding));
      // Refused before anything is allocated: a crafted cfg must not ask for terabytes.
      const double weights = double(filters) * double(prev_c / groups) * double(size) * double(size);
      if (weights > kMaxLayerWeights)
        s.fail("", fmt::format("{} filters of {}x{}x{} weights are {:.3g} values: expected at most {:.3g} per layer",
                               filters, prev_c / groups, size, size, weights, kMaxLayerWeights));
      network_weights += weights;
      if (network_weights > kMaxNetworkWeights)
        s.fail("", fmt::format("the network reaches {:.0f} weights here: expected at most {:.0f} in all",
                               network_weights, kMaxNetworkWeights));
      // The cfg's default activation is darknet's, logistic (OpenCV's importer assumes linear instead).
      spec->conv = DarknetConv(static_cast<int>(prev_c), filters, size, stride, padding, groups, batch_normalize == 1,
                               s.get_activation("logistic"), batchnorm_epsilon);
      convs_->register_module(std::to_string(i), spec->conv);
    } else if (s.type == "shortcut") {
      spec->kind = Layer::Kind::shortcut;
      if (i == 0) s.fail("", "a shortcut needs a previous layer");
      read_previous();
      for (int v : s.get_ints("from")) {
        const int index = earlier_layer("from", v);
        const auto& o = layers_[index];
        if (o.out_channels != prev_c || o.out_height != prev_h || o.out_width != prev_w)
          s.fail("from", fmt::format("layer {} outputs {}x{}x{} (c x h x w), the previous layer {}x{}x{}: expected "
                                     "the same shape",
                                     index, o.out_channels, o.out_height, o.out_width, prev_c, prev_h, prev_w));
        spec->from.push_back(index);
        info.inputs.push_back(index);
      }
      spec->activation = s.get_activation("linear");
      info.out_channels = prev_c;
      info.out_height = prev_h;
      info.out_width = prev_w;
    } else if (s.type == "route") {
      spec->kind = Layer::Kind::route;
      spec->groups = positive("groups", s.get_int("groups", 1), 1);
      spec->group_id = s.get_int("group_id", 0);
      if (spec->group_id < 0 || spec->group_id >= spec->groups)
        s.fail("group_id", fmt::format("expected 0 to {} (groups={}), got {}", spec->groups - 1, spec->groups,
                                       spec->group_id));
      for (int v : s.get_ints("layers")) {
        const int index = earlier_layer("layers", v);
        const auto& o = layers_[index];
        if (!spec->from.empty() &&
            (o.out_height != info.out_height || o.out_width != info.out_width))
          s.fail("layers", fmt::format("layer {} outputs {}x{} (h x w), layer {} {}x{}: routed layers must have the "
                                       "same height and width",
                                       index, o.out_height, o.out_width, spec->from.front(), info.out_height,
                                       info.out_width));
        if (o.out_channels % spec->groups != 0)
          s.fail("groups", fmt::format("{} groups must divide the {} channels of layer {}", spec->groups,
                                       o.out_channels, index));
        spec->from.push_back(index);
        info.out_channels += o.out_channels / spec->groups;
        info.out_height = o.out_height;
        info.out_width = o.out_width;
      }
      if (spec->from.empty()) s.fail("layers", "expected at least one layer index");
      info.inputs = spec->from;
    } else if (s.type == "upsample") {
      spec->kind = Layer::Kind::upsample;
      read_previous();
      // Darknet reads a negative stride as downsampling by averaging; not supported here.
      spec->stride = positive("stride", s.get_int("stride", 2), 1);
      info.out_channels = prev_c;
      info.out_height = prev_h * spec->stride;
      info.out_width = prev_w * spec->stride;
    } else if (s.type == "maxpool") {
      spec->kind = Layer::Kind::maxpool;
      read_previous();
      spec->stride = positive("stride", s.get_int("stride", 1), 1);
      spec->size = positive("size", s.get_int("size", spec->stride), 1);
      const int64_t padding = s.get_int("padding", spec->size - 1);
      if (padding < 0 || padding >= spec->size)
        s.fail("padding", fmt::format("expected 0 to {} (size - 1, darknet's default), got {}", spec->size - 1,
                                      padding));
      spec->pad_before = static_cast<int>(padding / 2);
      spec->pad_after = static_cast<int>(padding - padding / 2);
      if (prev_h + padding < spec->size || prev_w + padding < spec->size)
        s.fail("size", fmt::format("a {}x{} window does not fit the {}x{} input (padding {})", spec->size, spec->size,
                                   prev_w, prev_h, padding));
      info.out_channels = prev_c;
      info.out_height = (prev_h + padding - spec->size) / spec->stride + 1;
      info.out_width = (prev_w + padding - spec->size) / spec->stride + 1;
    } else if (s.type == "dropout") {
      spec->kind = Layer::Kind::dropout;
      read_previous();
      spec->probability = s.get_float("probability", 0.2f);
      if (!(spec->probability >= 0 && spec->probability < 1))
        s.fail("probability", fmt::format("expected a probability in [0, 1), got {}", spec->probability));
      info.out_channels = prev_c;
      info.out_height = prev_h;
      info.out_width = prev_w;
    } else if (s.type == "yolo") {
      spec->kind = Layer::Kind::yolo;
      if (i == 0) s.fail("", "a yolo layer needs a previous layer");
      read_previous();
      YoloHead head;
      head.num_classes = positive("classes", s.get_int("classes", 20), 1);
      if (head.num_classes > kMaxClasses)
        s.fail("classes", fmt::format("expected at most {} classes, got {}", kMaxClasses, head.num_classes));
      const int num = positive("num", s.get_int("num", 1), 1);
      if (num > kMaxAnchors) s.fail("num", fmt::format("expected at most {} anchors, got {}", kMaxAnchors, num));
      const auto anchors = s.get_floats("anchors");
      if (anchors.size() != 2 * static_cast<size_t>(num))
        s.fail("anchors", fmt::format("expected num={} (w, h) pairs, {} numbers, got {}", num, 2 * num,
                                      anchors.size()));
      for (size_t a = 0; a < anchors.size(); a += 2) {
        if (!(anchors[a] > 0 && anchors[a + 1] > 0))
          s.fail("anchors", fmt::format("anchor {} is {},{}: expected positive sizes", a / 2, anchors[a],
                                        anchors[a + 1]));
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
        if (m < 0 || m >= num)
          s.fail("mask", fmt::format("anchor index {} is out of range: expected 0 to {}", m, num - 1));
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
      if (prev_c != head.channels())
        s.fail("", fmt::format("its input (layer {}) has {} channels: expected {} = {} anchors (mask) x (5 + {} "
                               "classes); set filters={} in layer {}",
                               i - 1, prev_c, head.channels(), head.num_anchors(), head.num_classes, head.channels(),
                               i - 1));
      info.out_channels = prev_c;
      info.out_height = prev_h;
      info.out_width = prev_w;
      heads_.push_back(std::move(head));
      yolo_layers_.push_back(i);
    } else {
      s.fail("", fmt::format("unsupported section type [{}]", s.type));  // parse_cfg refuses these first
    }
    if (info.out_height < 1 || info.out_width < 1 || info.out_channels < 1)
      s.fail("", fmt::format("its output would be {}x{}x{} (c x h x w): the input is too small", info.out_channels,
                             info.out_height, info.out_width));
    if (info.out_height > kMaxSide || info.out_width > kMaxSide || info.out_channels > kMaxChannels)
      s.fail("", fmt::format("its output would be {}x{}x{} (c x h x w): expected at most {} channels and {} pixels a "
                             "side",
                             info.out_channels, info.out_height, info.out_width, kMaxChannels, kMaxSide));
    layers_.push_back(std::move(info));
    specs_.push_back(std::move(spec));
  }
  if (heads_.empty()) throw Error(fmt::format("{}: the network has no [yolo] layer", cfg_.file_name));
  last_use_.assign(layers_.size(), -1);
  for (int j = 0; j < num_layers(); ++j)
    for (int in : layers_[j].inputs)
      if (in >= 0) last_use_[in] = std::max(last_use_[in], j);
}

DarknetConv DarknetModelImpl::conv(int i) const {
  if (i < 0 || i >= num_layers()) throw Error(fmt::format("layer {} is out of range (0 to {})", i, num_layers() - 1));
  return specs_[i]->conv;
}

void DarknetModelImpl::set_memory_format(torch::MemoryFormat format) {
  if (format != torch::MemoryFormat::ChannelsLast && format != torch::MemoryFormat::Contiguous)
    throw Error("darknet model: memory format must be ChannelsLast or Contiguous");
  format_ = format;
}

torch::Tensor DarknetModelImpl::run_layer(int i, const std::vector<torch::Tensor>& outputs,
                                          const torch::Tensor& x) const {
  const Layer& spec = *specs_[i];
  const torch::Tensor& prev = i == 0 ? x : outputs[i - 1];
  namespace F = torch::nn::functional;
  switch (spec.kind) {
    case Layer::Kind::convolutional: return spec.conv->forward(prev);
    case Layer::Kind::shortcut: {
      for (int in : spec.from)
        if (outputs[in].sizes() != prev.sizes())
          throw Error(fmt::format("{}: layer {} [shortcut]: layer {} gives {} and the previous layer {} (c x h x w) "
                                  "for this input size: expected the same",
                                  cfg_.file_name, i, in, fmt::join(outputs[in].sizes().slice(1), "x"),
                                  fmt::join(prev.sizes().slice(1), "x")));
      auto y = prev + outputs[spec.from.front()];
      for (size_t k = 1; k < spec.from.size(); ++k) y.add_(outputs[spec.from[k]]);
      return darknet_activate(std::move(y), spec.activation);
    }
    case Layer::Kind::route: {
      std::vector<torch::Tensor> parts;
      for (int in : spec.from) {
        const auto& t = outputs[in];
        const int64_t part = t.size(1) / spec.groups;
        parts.push_back(spec.groups == 1 ? t : t.narrow(1, part * spec.group_id, part));
      }
      if (parts.size() == 1) return spec.groups == 1 ? parts.front() : parts.front().contiguous(format_);
      for (size_t k = 1; k < parts.size(); ++k)
        if (parts[k].size(2) != parts[0].size(2) || parts[k].size(3) != parts[0].size(3))
          throw Error(fmt::format("{}: layer {} [route]: layers {} and {} give {}x{} and {}x{} (h x w) for this "
                                  "input size: expected the same",
                                  cfg_.file_name, i, spec.from[0], spec.from[k], parts[0].size(2), parts[0].size(3),
                                  parts[k].size(2), parts[k].size(3)));
      return torch::cat(parts, 1);
    }
    case Layer::Kind::upsample: {
      const int64_t s = spec.stride;
      return F::interpolate(prev, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{prev.size(2) * s, prev.size(3) * s})
                                      .mode(torch::kNearest));
    }
    case Layer::Kind::maxpool: {
      if (spec.pad_before == spec.pad_after)
        return torch::max_pool2d(prev, spec.size, spec.stride, spec.pad_before);
      // An odd total padding: darknet puts the extra row and column after; out-of-image cells never win the max.
      const auto padded = torch::constant_pad_nd(
          prev, {spec.pad_before, spec.pad_after, spec.pad_before, spec.pad_after},
          -std::numeric_limits<double>::infinity());
      return torch::max_pool2d(padded, spec.size, spec.stride);
    }
    case Layer::Kind::dropout:
      return is_training() && spec.probability > 0 ? torch::dropout(prev, spec.probability, true) : prev;
    case Layer::Kind::yolo: return prev;
  }
  return prev;
}

std::vector<torch::Tensor> DarknetModelImpl::forward(const torch::Tensor& x) const {
  if (x.dim() != 4 || x.size(1) != input_channels_)
    throw Error(fmt::format("{}: expected an input (N, {}, H, W), got [{}]", cfg_.file_name, input_channels_,
                            fmt::join(x.sizes(), ", ")));
  {
    // Weights follow the memory format here: loading a state dict may replace them with tensors of another layout.
    c10::InferenceMode normal(false);
    torch::NoGradGuard no_grad;
    for (auto& p : parameters()) {
      if (p.dim() != 4) continue;
      auto converted = darknet_with_strides_of(p, format_);
      if (!converted.is_same(p)) p.set_data(converted);
    }
  }
  const auto input = darknet_with_strides_of(x, format_);
  std::vector<torch::Tensor> outputs(layers_.size());
  std::vector<torch::Tensor> raw;
  for (int i = 0; i < num_layers(); ++i) {
    try {
      outputs[i] = run_layer(i, outputs, input);
    } catch (const c10::Error& e) {  // e.g. a kernel larger than this input's feature map
      throw Error(fmt::format("{}: layer {} [{}]: {}", cfg_.file_name, i, layers_[i].type, message_of(e)));
    }
    if (specs_[i]->kind == Layer::Kind::yolo) raw.push_back(outputs[i].contiguous());
    // Free what no later layer reads.
    for (int in : layers_[i].inputs)
      if (in >= 0 && last_use_[in] == i) outputs[in] = torch::Tensor();
    if (last_use_[i] < 0) outputs[i] = torch::Tensor();
  }
  return raw;
}

void DarknetModelImpl::set_num_classes(int num_classes) {
  if (num_classes < 1) throw Error(fmt::format("{}: expected at least 1 class, got {}", cfg_.file_name, num_classes));
  for (size_t k = 0; k < heads_.size(); ++k) {
    const int yi = yolo_layers_[k];
    const int ci = yi - 1;
    const CfgSection& s = cfg_.layer(yi);
    const Layer& before = *specs_[ci];
    if (before.kind != Layer::Kind::convolutional)
      s.fail("", fmt::format("cannot change the number of classes: layer {} before it is a [{}], not a "
                             "[convolutional]",
                             ci, layers_[ci].type));
    for (int j = 0; j < num_layers(); ++j)
      if (j != yi && std::count(layers_[j].inputs.begin(), layers_[j].inputs.end(), ci))
        s.fail("", fmt::format("cannot change the number of classes: layer {} reads the head convolution (layer {}) "
                               "too",
                               j, ci));
    const auto old = before.conv;
    if (old->groups != 1)
      cfg_.layer(ci).fail("groups", "cannot change the number of classes of a grouped head convolution");
    YoloHead& head = heads_[k];
    const int64_t a = head.num_anchors(), old_rows = 5 + head.num_classes, new_rows = 5 + num_classes;
    auto fresh = DarknetConv(static_cast<int>(old->conv->options.in_channels()), static_cast<int>(a * new_rows),
                             old->size, old->stride, old->padding, 1, static_cast<bool>(old->bn), old->activation,
                             old->bn ? old->bn->options.eps() : kDarknetBatchnormEpsilon);
    fresh->to(old->conv->weight.device(), old->conv->weight.scalar_type());
    fresh->train(is_training());
    {
      torch::NoGradGuard no_grad;
      // Rows tx, ty, tw, th, objectness of each anchor: from (anchor, row) of the old layout to the new.
      std::vector<int64_t> from, to;
      for (int64_t an = 0; an < a; ++an)
        for (int64_t r = 0; r < 5; ++r) {
          from.push_back(an * old_rows + r);
          to.push_back(an * new_rows + r);
        }
      const auto from_t = torch::tensor(from, torch::kLong).to(old->conv->weight.device());
      const auto to_t = torch::tensor(to, torch::kLong).to(old->conv->weight.device());
      const auto keep = [&](torch::Tensor target, const torch::Tensor& source) {
        target.index_copy_(0, to_t, source.index_select(0, from_t));
      };
      keep(fresh->conv->weight, old->conv->weight);
      if (old->bn) {
        keep(fresh->bn->weight, old->bn->weight);
        keep(fresh->bn->bias, old->bn->bias);
        keep(fresh->bn->running_mean, old->bn->running_mean);
        keep(fresh->bn->running_var, old->bn->running_var);
      } else {
        keep(fresh->conv->bias, old->conv->bias);
      }
    }
    convs_->replace_module(std::to_string(ci), fresh);
    specs_[ci]->conv = fresh;
    head.num_classes = num_classes;
    layers_[ci].out_channels = layers_[yi].out_channels = head.channels();
    cfg_.layer(ci).set("filters", std::to_string(head.channels()));
    cfg_.layer(yi).set("classes", std::to_string(num_classes));
  }
}

DarknetModel build_darknet_model(const std::filesystem::path& cfg_path, double batchnorm_epsilon) {
  return DarknetModel(read_cfg(cfg_path), batchnorm_epsilon);
}

int layer_index_of(const std::string& parameter_name) {
  const std::string prefix = "layers.";
  if (parameter_name.compare(0, prefix.size(), prefix) != 0) return -1;
  const auto end = parameter_name.find('.', prefix.size());
  if (end == std::string::npos || end == prefix.size()) return -1;
  int index = 0;
  for (size_t k = prefix.size(); k < end; ++k) {
    if (parameter_name[k] < '0' || parameter_name[k] > '9' || index > 100000000) return -1;
    index = index * 10 + (parameter_name[k] - '0');
  }
  return index;
}

std::vector<std::string> freeze_layers(DarknetModelImpl& model, int n) {
  std::vector<std::string> frozen;
  for (auto& p : model.named_parameters()) {
    const int index = layer_index_of(p.key());
    const bool freeze = index >= 0 && index < n;
    p.value().set_requires_grad(!freeze);
    if (freeze) frozen.push_back(p.key());
  }
  return frozen;
}

}  // namespace tint::detect
