// Architecture-string parser and the LibTorch network built from a parsed graph.
#include "tint/analysis/architecture.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::analysis {
namespace nn = torch::nn;

namespace {

int64_t parse_positive(const std::string& digits, const std::string& what) {
  try {
    size_t used = 0;
    const long long v = std::stoll(digits, &used);
    if (used == digits.size() && v >= 1 && v <= 1'000'000) return v;
  } catch (const std::exception&) {}
  throw Error(fmt::format("{} must be a whole number in 1..1000000, got '{}'", what, digits));
}

std::string lower_without_spaces(const std::string& text) {
  std::string s;
  for (char ch : text)
    if (!std::isspace(static_cast<unsigned char>(ch)))
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// "/s2/p1" -> {s: 2, p: 1}; only the letters in `allowed`.
std::map<std::string, int> parse_modifiers(const std::string& mods, const std::string& item,
                                           const std::vector<std::string>& allowed) {
  std::map<std::string, int> out;
  static const std::regex one(R"(/([a-z]+)(\d+))");
  auto begin = std::sregex_iterator(mods.begin(), mods.end(), one);
  size_t consumed = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::string key = (*it)[1];
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw Error(fmt::format("--arch: item '{}': modifier /{} is not allowed here (allowed: {})", item, key,
                              fmt::format("/{}", fmt::join(allowed, ", /"))));
    if (out.count(key)) throw Error(fmt::format("--arch: item '{}': modifier /{} given twice", item, key));
    const int64_t v = std::stoll((*it)[2]);
    if (v > 1000) throw Error(fmt::format("--arch: item '{}': /{}{} is too large", item, key, v));
    if ((key == "s" || key == "d") && v < 1) throw Error(fmt::format("--arch: item '{}': /{} must be >= 1", item, key));
    out[key] = static_cast<int>(v);
    consumed += it->length();
  }
  if (consumed != mods.size())
    throw Error(
        fmt::format("--arch: item '{}': cannot read modifiers '{}' (write them as /s2, /d2, /p1, /op1)", item, mods));
  return out;
}

int get(const std::map<std::string, int>& m, const std::string& key, int fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

Layer parse_item(const std::string& item) {
  static const std::regex conv(R"(conv(\d+)-(\d+)((?:/[a-z]+\d+)*))");
  static const std::regex convt(R"(convt(\d+)-(\d+)((?:/[a-z]+\d+)*))");
  static const std::regex pool(R"((max|avg)pool(\d*)((?:/[a-z]+\d+)*))");
  static const std::regex upsample(R"(upsample(\d*))");
  static const std::regex fc(R"(fc(?:-(\d+))?)");
  std::smatch m;
  Layer l;
  l.name = item;
  if (std::regex_match(item, m, convt)) {
    l.kind = LayerKind::ConvTranspose;
    l.kernel = static_cast<int>(parse_positive(m[1], "--arch: kernel of '" + item + "'"));
    l.out_channels = parse_positive(m[2], "--arch: channels of '" + item + "'");
    const auto mods = parse_modifiers(m[3], item, {"s", "d", "p", "op"});
    l.stride = get(mods, "s", 2);
    l.dilation = get(mods, "d", 1);
    const int e = l.effective_kernel();
    if (mods.count("p") || mods.count("op")) {
      l.pad_before = l.pad_after = get(mods, "p", 0);
      l.output_padding = get(mods, "op", 0);
    } else {
      // The padding that makes H -> stride * H: (H-1)S - 2p + e + op = S*H  <=>  2p - op = e - S.
      const int p = std::max(0, (e - l.stride + 1) / 2);
      l.pad_before = l.pad_after = p;
      l.output_padding = 2 * p + l.stride - e;
    }
    if (l.output_padding >= std::max(l.stride, l.dilation))
      throw Error(
          fmt::format("--arch: item '{}': output padding {} must be smaller than the stride or the dilation; "
                      "give /p and /op",
                      item, l.output_padding));
    l.bias = true;
  } else if (std::regex_match(item, m, conv)) {
    l.kind = LayerKind::Conv;
    l.kernel = static_cast<int>(parse_positive(m[1], "--arch: kernel of '" + item + "'"));
    l.out_channels = parse_positive(m[2], "--arch: channels of '" + item + "'");
    const auto mods = parse_modifiers(m[3], item, {"s", "d", "p"});
    l.stride = get(mods, "s", 1);
    l.dilation = get(mods, "d", 1);
    if (mods.count("p")) {
      l.pad_before = l.pad_after = mods.at("p");
    } else {
      const int total = l.effective_kernel() - 1;  // zero padding that keeps H x W at stride 1
      l.pad_before = total / 2;
      l.pad_after = total - total / 2;
    }
    l.bias = true;
  } else if (std::regex_match(item, m, pool)) {
    l.kind = m[1] == "max" ? LayerKind::MaxPool : LayerKind::AvgPool;
    l.kernel = m[2].length() ? static_cast<int>(parse_positive(m[2], "--arch: window of '" + item + "'")) : 2;
    const auto mods = parse_modifiers(m[3], item, {"s", "p"});
    l.stride = get(mods, "s", l.kernel);
    l.pad_before = l.pad_after = get(mods, "p", 0);
    if (2 * l.pad_before > l.kernel)
      throw Error(fmt::format("--arch: item '{}': pooling padding must be at most half the window", item));
  } else if (std::regex_match(item, m, upsample)) {
    l.kind = LayerKind::Upsample;
    l.scale = m[1].length() ? static_cast<int>(parse_positive(m[1], "--arch: factor of '" + item + "'")) : 2;
  } else if (std::regex_match(item, m, fc)) {
    l.kind = LayerKind::FullyConnected;
    l.out_channels = m[1].matched ? parse_positive(m[1], "--arch: units of '" + item + "'") : 0;
    l.bias = true;
  } else if (item == "bn" || item == "batchnorm") {
    l.kind = LayerKind::BatchNorm;
  } else if (item == "relu") {
    l.kind = LayerKind::ReLU;
  } else {
    throw Error(
        fmt::format("--arch: cannot read item '{}' (expected convK-C, convtK-C, maxpool[K], avgpool[K], "
                    "upsample[F], fc, fc-N, bn or relu)",
                    item));
  }
  return l;
}

// A convolution with more zeros after than before (Conv2d pads symmetrically only).
class PaddedConv2dImpl : public nn::Module {
 public:
  PaddedConv2dImpl(const nn::Conv2dOptions& options, int before, int after) : before_(before), after_(after) {
    conv = register_module("conv", nn::Conv2d(options));
  }
  torch::Tensor forward(const torch::Tensor& x) {  // (N, C, H, W)
    return conv(torch::constant_pad_nd(x, {before_, after_, before_, after_}));
  }
  nn::Conv2d conv{nullptr};

 private:
  int before_, after_;
};
TORCH_MODULE(PaddedConv2d);

// A fully connected layer between (C, H, W) tensors: flatten, Linear, reshape to the output shape.
class FullyConnectedImpl : public nn::Module {
 public:
  FullyConnectedImpl(const Shape& in, const Shape& out) : out_(out) {
    linear = register_module("linear", nn::Linear(in.numel(), out.numel()));
  }
  torch::Tensor forward(const torch::Tensor& x) {  // (N, C, H, W) -> (N, C', H', W')
    return linear(x.flatten(1)).view({x.size(0), out_.c, out_.h, out_.w});
  }
  nn::Linear linear{nullptr};

 private:
  Shape out_;
};
TORCH_MODULE(FullyConnected);

nn::AnyModule build_module(const Layer& l, const Shape& in) {
  switch (l.kind) {
    case LayerKind::Conv: {
      auto options = nn::Conv2dOptions(in.c, l.out_channels, /*kernel_size=*/l.kernel)
                         .stride(l.stride)
                         .dilation(l.dilation)
                         .bias(l.bias);
      if (l.pad_before == l.pad_after) return nn::AnyModule(nn::Conv2d(options.padding(l.pad_before)));
      return nn::AnyModule(PaddedConv2d(options, l.pad_before, l.pad_after));
    }
    case LayerKind::ConvTranspose:
      return nn::AnyModule(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in.c, l.out_channels, l.kernel)
                                                   .stride(l.stride)
                                                   .padding(l.pad_before)
                                                   .output_padding(l.output_padding)
                                                   .dilation(l.dilation)
                                                   .bias(l.bias)));
    case LayerKind::MaxPool:
      return nn::AnyModule(
          nn::MaxPool2d(nn::MaxPool2dOptions(l.kernel).stride(l.stride).padding(l.pad_before).dilation(l.dilation)));
    case LayerKind::AvgPool:
      return nn::AnyModule(nn::AvgPool2d(nn::AvgPool2dOptions(l.kernel).stride(l.stride).padding(l.pad_before)));
    case LayerKind::Upsample:
      return nn::AnyModule(nn::Upsample(nn::UpsampleOptions()
                                            .scale_factor(std::vector<double>{double(l.scale), double(l.scale)})
                                            .mode(torch::kNearest)));
    case LayerKind::BatchNorm:
      return nn::AnyModule(nn::BatchNorm2d(in.c));
    case LayerKind::ReLU:
      return nn::AnyModule(nn::ReLU());
    case LayerKind::FullyConnected:
      return nn::AnyModule(FullyConnected(in, l.out));
    case LayerKind::Input:
    case LayerKind::Concat:
      break;
  }
  return {};
}

}  // namespace

Shape parse_shape(const std::string& text, const std::string& flag) {
  static const std::regex pattern(R"((\d+)x(\d+)x(\d+))");
  std::smatch m;
  const std::string s = lower_without_spaces(text);
  if (!std::regex_match(s, m, pattern))
    throw Error(fmt::format("{} must be CxHxW (e.g. 3x32x32), got '{}'", flag, text));
  return {parse_positive(m[1], flag + " channels"), parse_positive(m[2], flag + " height"),
          parse_positive(m[3], flag + " width")};
}

LayerGraph parse_architecture(const std::string& text, const Shape& input) {
  const std::string s = lower_without_spaces(text);
  if (s.empty()) throw Error("--arch is empty: give layers such as \"conv3-32,maxpool,conv3-64\"");
  LayerGraph graph;
  graph.add_input(input);
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    const std::string item = s.substr(start, comma - start);
    if (item.empty()) throw Error(fmt::format("--arch: empty item at position {} in '{}'", graph.layers.size(), text));
    graph.add(parse_item(item));
    start = comma + 1;
  }
  infer_shapes(graph);
  return graph;
}

ArchitectureNetImpl::ArchitectureNetImpl(LayerGraph graph) : graph_(std::move(graph)) {
  for (size_t i = 1; i < graph_.layers.size(); ++i) {
    Layer& l = graph_.layers[i];
    TORCH_CHECK(l.inputs.size() == 1, "ArchitectureNet builds single-input chains; layer ", l.name, " has ",
                l.inputs.size(), " inputs");
    l.module = build_module(l, graph_.layers[l.inputs.front()].out);
    if (l.module.is_empty()) continue;
    l.module_path = fmt::format("layer{}", i);
    register_module(l.module_path, l.module.ptr());
  }
}

torch::Tensor ArchitectureNetImpl::forward(const torch::Tensor& x) { return run_graph(graph_, x).back(); }

}  // namespace tint::analysis
