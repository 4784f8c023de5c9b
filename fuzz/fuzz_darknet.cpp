// libFuzzer harness: arbitrary bytes through the darknet readers (detect/darknet_cfg.h, darknet_model.h,
// darknet_weights.h). The first byte picks the reader (its lowest bit), the rest is the file:
//   even: a .cfg. parse_cfg, then format_cfg and parse_cfg again (same sections and options), then a DarknetModel
//     built from it; a small network is also written as .weights and read back, and run once at its own input size
//     in both memory formats (the yolo outputs must have the shapes the constructor computed, and agree).
//   odd: a .weights file for kFixedCfg below (three layers: a batchnorm convolution, a head convolution, a yolo layer).
//     What loads must encode back to the same bytes; a refused file must leave the model as it was.
// Bad input must end in tint::Error; anything else (another exception, a crash, a sanitizer report, a broken
// invariant: __builtin_trap) is a bug. The cfg seeds start with a newline, the weights seeds with 'w'.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/darknet_weights.h"

namespace {

using namespace tint::detect;

// Longer inputs are skipped: a cfg this long already has room for dozens of layers, and libFuzzer's mutations of a
// short input reach the readers' branches faster.
constexpr size_t kMaxInput = 4096;
// What a built network may hold to be also written, read back and run: far below the constructor's own bounds, so
// that each input stays at a few milliseconds.
constexpr int64_t kMaxRoundTripValues = int64_t{1} << 16;
constexpr int64_t kMaxForwardActivations = int64_t{1} << 16;
constexpr double kMaxForwardMacs = double(1 << 22);

// The network the weights inputs are read for (fuzz/corpus/darknet/fixed.cfg holds the same text).
constexpr std::string_view kFixedCfg = R"([net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=4
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=12
size=1
stride=1
pad=1
activation=linear

[yolo]
mask=0,1
anchors=10,14, 23,27, 37,58
classes=1
num=3
)";

// Runs f; a tint::Error from it is a bug here (the input was accepted before).
template <typename F>
auto must(F f) {
  try {
    return f();
  } catch (const tint::Error&) {
    __builtin_trap();
  }
}

void check_cfg(const DarknetCfg& cfg) {
  if (cfg.sections.empty() || cfg.net().type != "net") __builtin_trap();
  for (size_t i = 0; i < cfg.sections.size(); ++i)
    if (cfg.sections[i].index != static_cast<int>(i) - 1 || (i > 0 && cfg.sections[i].type == "net")) __builtin_trap();
  const DarknetCfg again = must([&] { return parse_cfg(format_cfg(cfg), "round-trip.cfg"); });
  if (again.sections.size() != cfg.sections.size()) __builtin_trap();
  for (size_t i = 0; i < cfg.sections.size(); ++i) {
    const auto &a = cfg.sections[i].options, &b = again.sections[i].options;
    if (again.sections[i].type != cfg.sections[i].type || a.size() != b.size()) __builtin_trap();
    for (size_t k = 0; k < a.size(); ++k)
      if (a[k].key != b[k].key || a[k].value != b[k].value) __builtin_trap();
  }
  // A value with a NUL byte in it is no number: the getters must refuse it, not read up to the NUL.
  for (const auto& section : cfg.sections)
    for (const auto& o : section.options) {
      if (o.value.find('\0') == std::string::npos) continue;
      const auto refused = [](auto get) {
        try {
          get();
        } catch (const tint::Error&) {
          return true;
        }
        return false;
      };
      if (!refused([&] { section.get_int(o.key, 0); }) || !refused([&] { section.get_float(o.key, 0); }) ||
          !refused([&] { section.get_ints(o.key); }) || !refused([&] { section.get_floats(o.key); }))
        __builtin_trap();
    }
}

void check_model(DarknetModelImpl& model, const DarknetCfg& cfg) {
  const auto& layers = model.layers();
  if (model.num_layers() != cfg.num_layers() || model.heads().empty() ||
      model.heads().size() != model.yolo_layers().size())
    __builtin_trap();
  for (const auto& l : layers)
    if (l.out_channels < 1 || l.out_height < 1 || l.out_width < 1) __builtin_trap();
  for (size_t k = 0; k < model.heads().size(); ++k) {
    const int yi = model.yolo_layers()[k];
    if (yi < 1 || layers.at(yi).type != "yolo" || layers[yi].out_channels != model.heads()[k].channels() ||
        layers[yi - 1].out_channels != layers[yi].out_channels)
      __builtin_trap();
  }

  // Written and read back: the same bytes, and the header as given.
  WeightsHeader header;
  header.seen = 123456789012;
  if (weights_file_size(model, header) - header.size_bytes() > kMaxRoundTripValues * 4) return;
  const std::string bytes = encode_weights(model, header);
  if (static_cast<int64_t>(bytes.size()) != weights_file_size(model, header)) __builtin_trap();
  const auto read = must([&] { return load_weights_from_bytes(model, bytes, "round-trip.weights"); });
  if (read.major != header.major || read.minor != header.minor || read.revision != header.revision ||
      read.seen != header.seen || encode_weights(model, header) != bytes)
    __builtin_trap();

  // Run at the cfg's own input size, which the constructor checked every layer against: it must not fail there.
  int64_t activations = int64_t{model.input_channels()} * model.input_height() * model.input_width();
  double macs = 0;
  for (int i = 0; i < model.num_layers(); ++i) {
    activations += layers[i].out_channels * layers[i].out_height * layers[i].out_width;
    if (const auto conv = model.conv(i))
      macs += double(conv->conv->weight.numel()) * double(layers[i].out_height * layers[i].out_width);
  }
  if (activations > kMaxForwardActivations || macs > kMaxForwardMacs) return;
  model.eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::linspace(-1, 1, model.input_channels() * model.input_height() * model.input_width())
                     .view({1, model.input_channels(), model.input_height(), model.input_width()});
  const auto channels_last = must([&] { return model.forward(x); });
  model.set_memory_format(torch::MemoryFormat::Contiguous);
  const auto contiguous = must([&] { return model.forward(x); });
  if (channels_last.size() != model.heads().size() || contiguous.size() != channels_last.size()) __builtin_trap();
  for (size_t k = 0; k < channels_last.size(); ++k) {
    const auto& l = layers[model.yolo_layers()[k]];
    const std::vector<int64_t> shape = {1, l.out_channels, l.out_height, l.out_width};
    if (channels_last[k].sizes() != shape || contiguous[k].sizes() != shape) __builtin_trap();
    // Another summation order, not another result: within float rounding of the outputs' own scale.
    const double scale = 1 + channels_last[k].abs().nan_to_num(0, 0, 0).max().item<double>();
    if (!torch::allclose(channels_last[k], contiguous[k], 1e-4, 1e-4 * scale, /*equal_nan=*/true)) __builtin_trap();
  }
}

void fuzz_cfg(std::string_view text) {
  const DarknetCfg cfg = parse_cfg(text, "fuzz.cfg");
  check_cfg(cfg);
  DarknetModel model(cfg);
  check_model(*model, cfg);
}

void fuzz_weights(std::string_view bytes) {
  static DarknetModel model(parse_cfg(kFixedCfg, "fixed.cfg"));
  const std::string before = encode_weights(*model, WeightsHeader{});
  try {
    const WeightsHeader header = load_weights_from_bytes(*model, bytes, "fuzz.weights");
    // Accepted: the header is the file's, and encoding gives back the file byte for byte.
    WeightsHeader expected;
    std::memcpy(&expected.major, bytes.data(), 4);
    std::memcpy(&expected.minor, bytes.data() + 4, 4);
    std::memcpy(&expected.revision, bytes.data() + 8, 4);
    if (header.major != expected.major || header.minor != expected.minor || header.revision != expected.revision ||
        encode_weights(*model, header) != bytes)
      __builtin_trap();
  } catch (const tint::Error&) {
    if (encode_weights(*model, WeightsHeader{}) != before) __builtin_trap();  // refused: the model is unchanged
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxInput) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] % 2 == 0) {
      fuzz_cfg(rest);
    } else {
      fuzz_weights(rest);
    }
  } catch (const tint::Error&) {
    // The expected outcome for malformed input.
  }
  return 0;
}
