// Building a DarknetModel from its cfg and running it. The constructor checks [net] and dispatches each section to
// the parse function of its type (darknet_sections.cpp, where the shapes and the checks of each type live);
// run_layer computes each kind of layer as AlexeyAB's darknet does.
#include "tint/detect/darknet_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "darknet_sections.h"
#include "tint/core/error.h"

namespace tint::detect {

namespace {

torch::Tensor darknet_activate(torch::Tensor y, Activation activation) {
  // In place where no gradient is recorded: one output buffer fewer per layer.
  const bool in_place = !torch::GradMode::is_enabled();
  switch (activation) {
    case Activation::linear:
      return y;
    case Activation::leaky:
      return in_place ? torch::leaky_relu_(y, 0.1) : torch::leaky_relu(y, 0.1);
    case Activation::relu:
      return in_place ? torch::relu_(y) : torch::relu(y);
    case Activation::logistic:
      return in_place ? torch::sigmoid_(y) : torch::sigmoid(y);
    case Activation::mish:
      return torch::mish(y);
    case Activation::swish:
      return in_place ? torch::silu_(y) : torch::silu(y);
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
    bn = register_module(
        "bn", torch::nn::BatchNorm2d(
                  torch::nn::BatchNormOptions(filters).eps(batchnorm_epsilon).momentum(kDarknetBatchnormMomentum)));
}

torch::Tensor DarknetConvImpl::forward(const torch::Tensor& x) const {
  torch::Tensor y;
  const bool recording = torch::GradMode::is_enabled() && conv->weight.requires_grad();
  if (bn && !is_training() && !recording) {
    // weight * gamma / sqrt(var + eps), beta - mean * gamma / sqrt(var + eps): one convolution instead of a
    // convolution and a batchnorm pass over its output.
    const std::vector<int64_t> versions = {conv->weight._version(),
                                           bn->weight._version(),
                                           bn->bias._version(),
                                           bn->running_mean._version(),
                                           bn->running_var._version(),
                                           reinterpret_cast<int64_t>(conv->weight.data_ptr()),
                                           static_cast<int64_t>(conv->weight.suggest_memory_format()),
                                           reinterpret_cast<int64_t>(bn->weight.data_ptr()),
                                           reinterpret_cast<int64_t>(bn->running_var.data_ptr()),
                                           reinterpret_cast<int64_t>(bn->running_mean.data_ptr()),
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
  if (input_width_ > kMaxDarknetSide || input_height_ > kMaxDarknetSide || input_channels_ > kMaxDarknetChannels)
    net.fail("", fmt::format("an input of {}x{}x{} (w x h x c): expected at most {} pixels a side and {} channels",
                             input_width_, input_height_, input_channels_, kMaxDarknetSide, kMaxDarknetChannels));
  if (cfg_.num_layers() == 0) net.fail("", "the cfg has no layers after [net]");
  convs_ = register_module("layers", std::make_shared<torch::nn::Module>("DarknetLayers"));

  // Each section by the parse function of its type (darknet_sections.cpp), in order: a layer reads the shapes of
  // those before it, and convolutions are made (and LibTorch's default initialisation drawn) in cfg order.
  double network_weights = 0;
  for (int i = 0; i < cfg_.num_layers(); ++i) {
    const bool first = i == 0;
    const SectionInput input{i,
                             first ? input_channels_ : layers_.back().out_channels,
                             first ? input_height_ : layers_.back().out_height,
                             first ? input_width_ : layers_.back().out_width,
                             layers_,
                             network_weights,
                             batchnorm_epsilon};
    ParsedSection parsed = parse_section(cfg_.layer(i), input);
    network_weights += parsed.weights;
    if (parsed.layer->conv) convs_->register_module(std::to_string(i), parsed.layer->conv);
    if (parsed.head) {
      heads_.push_back(std::move(*parsed.head));
      yolo_layers_.push_back(i);
    }
    layers_.push_back(std::move(parsed.info));
    specs_.push_back(std::move(parsed.layer));
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
  const DarknetLayerSpec& spec = *specs_[i];
  const torch::Tensor& prev = i == 0 ? x : outputs[i - 1];
  namespace F = torch::nn::functional;
  switch (spec.kind) {
    case DarknetLayerSpec::Kind::convolutional:
      return spec.conv->forward(prev);
    case DarknetLayerSpec::Kind::shortcut: {
      for (int in : spec.from)
        if (outputs[in].sizes() != prev.sizes())
          throw Error(
              fmt::format("{}: layer {} [shortcut]: layer {} gives {} and the previous layer {} (c x h x w) "
                          "for this input size: expected the same",
                          cfg_.file_name, i, in, fmt::join(outputs[in].sizes().slice(1), "x"),
                          fmt::join(prev.sizes().slice(1), "x")));
      auto y = prev + outputs[spec.from.front()];
      for (size_t k = 1; k < spec.from.size(); ++k) y.add_(outputs[spec.from[k]]);
      return darknet_activate(std::move(y), spec.activation);
    }
    case DarknetLayerSpec::Kind::route: {
      std::vector<torch::Tensor> parts;
      for (int in : spec.from) {
        const auto& t = outputs[in];
        const int64_t part = t.size(1) / spec.groups;
        parts.push_back(spec.groups == 1 ? t : t.narrow(1, part * spec.group_id, part));
      }
      if (parts.size() == 1) return spec.groups == 1 ? parts.front() : parts.front().contiguous(format_);
      for (size_t k = 1; k < parts.size(); ++k)
        if (parts[k].size(2) != parts[0].size(2) || parts[k].size(3) != parts[0].size(3))
          throw Error(
              fmt::format("{}: layer {} [route]: layers {} and {} give {}x{} and {}x{} (h x w) for this "
                          "input size: expected the same",
                          cfg_.file_name, i, spec.from[0], spec.from[k], parts[0].size(2), parts[0].size(3),
                          parts[k].size(2), parts[k].size(3)));
      return torch::cat(parts, 1);
    }
    case DarknetLayerSpec::Kind::upsample: {
      const int64_t s = spec.stride;
      return F::interpolate(prev, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{prev.size(2) * s, prev.size(3) * s})
                                      .mode(torch::kNearest));
    }
    case DarknetLayerSpec::Kind::maxpool: {
      if (spec.pad_before == spec.pad_after) return torch::max_pool2d(prev, spec.size, spec.stride, spec.pad_before);
      // An odd total padding: darknet puts the extra row and column after; out-of-image cells never win the max.
      const auto padded =
          torch::constant_pad_nd(prev, {spec.pad_before, spec.pad_after, spec.pad_before, spec.pad_after},
                                 -std::numeric_limits<double>::infinity());
      return torch::max_pool2d(padded, spec.size, spec.stride);
    }
    case DarknetLayerSpec::Kind::dropout:
      return is_training() && spec.probability > 0 ? torch::dropout(prev, spec.probability, true) : prev;
    case DarknetLayerSpec::Kind::yolo:
      return prev;
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
    if (specs_[i]->kind == DarknetLayerSpec::Kind::yolo) raw.push_back(outputs[i].contiguous());
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
    const DarknetLayerSpec& before = *specs_[ci];
    if (before.kind != DarknetLayerSpec::Kind::convolutional)
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
