#include "tint/detect/darknet_weights.h"

#include <cstring>
#include <vector>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "darknet .weights are read and written as little-endian");

namespace tint::detect {
namespace {

// One block of floats in the file: which layer, what darknet calls it, and the tensor it fills.
struct WeightsBlock {
  int layer = 0;
  const char* what = "";
  torch::Tensor tensor;
};

// The file's blocks in order (parser.c, load_convolutional_weights).
std::vector<WeightsBlock> darknet_weights_blocks(const DarknetModelImpl& model) {
  std::vector<WeightsBlock> blocks;
  for (int i = 0; i < model.num_layers(); ++i) {
    const auto conv = model.conv(i);
    if (!conv) continue;
    if (conv->bn) {
      blocks.push_back({i, "biases", conv->bn->bias});
      blocks.push_back({i, "scales", conv->bn->weight});
      blocks.push_back({i, "rolling mean", conv->bn->running_mean});
      blocks.push_back({i, "rolling variance", conv->bn->running_var});
    } else {
      blocks.push_back({i, "biases", conv->conv->bias});
    }
    blocks.push_back({i, "weights", conv->conv->weight});
  }
  return blocks;
}

int64_t darknet_weights_payload(const std::vector<WeightsBlock>& blocks) {
  int64_t n = 0;
  for (const auto& b : blocks) n += b.tensor.numel();
  return n * static_cast<int64_t>(sizeof(float));
}

}  // namespace

int64_t weights_file_size(const DarknetModelImpl& model, const WeightsHeader& header) {
  return header.size_bytes() + darknet_weights_payload(darknet_weights_blocks(model));
}

WeightsHeader load_weights_from_bytes(DarknetModelImpl& model, std::string_view bytes, const std::string& name) {
  const auto actual = static_cast<int64_t>(bytes.size());
  if (actual < 12)
    throw Error(fmt::format("{}: {} bytes: too short for a darknet weights header (major, minor, revision, seen)", name,
                            actual));
  WeightsHeader header;
  std::memcpy(&header.major, bytes.data(), 4);
  std::memcpy(&header.minor, bytes.data() + 4, 4);
  std::memcpy(&header.revision, bytes.data() + 8, 4);
  if (actual < header.size_bytes())
    throw Error(fmt::format("{}: {} bytes: too short for the {}-byte header of version {}.{}", name, actual,
                            header.size_bytes(), header.major, header.minor));
  if (header.has_64bit_seen()) {
    std::memcpy(&header.seen, bytes.data() + 12, 8);
  } else {
    uint32_t seen32 = 0;
    std::memcpy(&seen32, bytes.data() + 12, 4);
    header.seen = seen32;
  }

  const auto blocks = darknet_weights_blocks(model);
  const int64_t expected = header.size_bytes() + darknet_weights_payload(blocks);
  const std::string cfg_name = model.cfg().file_name;
  if (actual != expected) {
    int64_t offset = header.size_bytes();
    for (const auto& b : blocks) {
      const int64_t end = offset + b.tensor.numel() * static_cast<int64_t>(sizeof(float));
      if (actual < end)
        throw Error(
            fmt::format("{}: the file ends inside layer {} [{}] (its {}): expected {} bytes for {}, the file "
                        "has {}",
                        name, b.layer, model.layers()[b.layer].type, b.what, expected, cfg_name, actual));
      offset = end;
    }
    const int last = blocks.empty() ? -1 : blocks.back().layer;
    throw Error(
        fmt::format("{}: {} bytes are left over after the last layer with weights (layer {}): expected {} "
                    "bytes for {}, the file has {}",
                    name, actual - expected, last, expected, cfg_name, actual));
  }

  // Every block read and checked before any is copied: a bad file leaves the model as it was.
  std::vector<torch::Tensor> values;
  int64_t offset = header.size_bytes();
  for (const auto& b : blocks) {
    auto t = torch::empty(b.tensor.sizes(), torch::kFloat);
    const int64_t n = t.numel() * static_cast<int64_t>(sizeof(float));
    std::memcpy(t.data_ptr<float>(), bytes.data() + offset, static_cast<size_t>(n));
    if (!torch::isfinite(t).all().item<bool>())
      throw Error(fmt::format("{}: layer {} [{}]: its {} hold a NaN or an infinite value (at byte {})", name, b.layer,
                              model.layers()[b.layer].type, b.what, offset));
    if (std::strcmp(b.what, "rolling variance") == 0 && (t < 0).any().item<bool>())
      throw Error(fmt::format("{}: layer {} [{}]: its rolling variance has a negative value (at byte {})", name,
                              b.layer, model.layers()[b.layer].type, offset));
    values.push_back(std::move(t));
    offset += n;
  }
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < blocks.size(); ++k) {
    auto target = blocks[k].tensor;
    target.copy_(values[k]);
  }
  return header;
}

WeightsHeader load_weights(DarknetModelImpl& model, const std::filesystem::path& path) {
  return load_weights_from_bytes(model, read_file(path), path.string());
}

std::string encode_weights(const DarknetModelImpl& model, const WeightsHeader& header) {
  const auto blocks = darknet_weights_blocks(model);
  std::string out;
  out.reserve(static_cast<size_t>(header.size_bytes() + darknet_weights_payload(blocks)));
  const auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  put(&header.major, 4);
  put(&header.minor, 4);
  put(&header.revision, 4);
  if (header.has_64bit_seen()) {
    put(&header.seen, 8);
  } else {
    if (header.seen > 0xffffffffu)
      throw Error(fmt::format("weights version {}.{} stores `seen` in 32 bits, but it is {}", header.major,
                              header.minor, header.seen));
    const auto seen32 = static_cast<uint32_t>(header.seen);
    put(&seen32, 4);
  }
  for (const auto& b : blocks) {
    // (filters, channels / groups, size, size) in row-major order, whatever the parameter's memory format.
    const auto t = b.tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    put(t.data_ptr<float>(), static_cast<size_t>(t.numel()) * sizeof(float));
  }
  return out;
}

void save_weights(const DarknetModelImpl& model, const std::filesystem::path& path, const WeightsHeader& header) {
  write_file_atomic(path, encode_weights(model, header));
}

}  // namespace tint::detect
