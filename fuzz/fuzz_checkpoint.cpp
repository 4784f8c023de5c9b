// libFuzzer harness: checkpoint.pt files through train::CheckpointReader (and core/checkpoint_archive.h under it),
// then the network and its Adam state restored as `tint evaluate` and `tint train --resume` do. The first byte picks
// how the rest is read (its lowest bit):
//   even: the rest is the file itself, LibTorch's zip archive (the seeds are checkpoints of tiny `tint train` runs);
//   odd:  the rest is the checkpoint's fields as text, separated by NUL bytes: config, palette and history (JSON),
//         epoch, batches_done and partial_loss_sum (each written as an integer, a real or a string, whichever its
//         text is), ab_bins (JSON); the harness writes them into an archive around the weights and Adam state of
//         kFixedConfig's network, as train/checkpoint.cpp does, and reads it back. A missing field is left out. This
//         reaches tint's checks of every field without LibTorch's zip container in the way.
// Bad input must end in tint::Error; anything else (another exception, a crash, a sanitizer report, a broken
// invariant: __builtin_trap) is a bug. An accepted checkpoint must hold a valid config (the same after a round trip),
// a palette of 2..256 colours in [0, 1] or (ab-bins runs) as many bins as the network has colours, counts >= 0;
// restored weights and optimizer state must have the shapes and types of the network's own (or be refused).
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "scratch_file.h"
#include "tint/core/error.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"

namespace {

namespace fs = std::filesystem;
using tint::train::CheckpointReader;

// Larger files are skipped (the archive seeds are about 50 KB).
constexpr size_t kMaxInput = 64 << 10;
// Networks this large are read but not built: each input stays at a few milliseconds and within the RSS limit.
constexpr int kMaxBuiltFilters = 64;

// train/checkpoint.cpp's tag; the odd inputs are written with it so that they get past the magic and version check.
constexpr const char* kMagic = "tint-checkpoint";
constexpr int64_t kVersion = 1;
// The network whose weights and Adam state the odd inputs carry: the palette run's seeds in fuzz/corpus/checkpoint/
// (fields_finished.bin, fields_interrupted.bin) name it; fields_other_network.bin and fields_ab_bins.bin name others,
// whose weights these are not.
const char* const kFixedConfig = R"({"model": "conv-transpose", "kernel": 1, "num_filters": 2, "num_colours": 3})";

const ScratchFile scratch("checkpoint", ".pt");

// A field's text as the IValue a writer might have stored: an integer, a real, else a string.
c10::IValue typed(const std::string& text) {
  if (!text.empty() && text.find('\0') == std::string::npos) {
    char* end = nullptr;
    errno = 0;
    const long long i = std::strtoll(text.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return c10::IValue(int64_t{i});
    const double d = std::strtod(text.c_str(), &end);
    if (*end == '\0') return c10::IValue(d);
  }
  return c10::IValue(text);
}

// The odd inputs: fields split at NUL bytes, written around the fixed network's state.
std::string archive_of_fields(const std::string& rest) {
  static const auto fixed = tint::train::config_from_json(nlohmann::json::parse(kFixedConfig), "fixed.json");
  static auto model = tint::models::make_model(fixed.model, fixed.net);
  static torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  std::vector<std::string> fields;
  for (size_t start = 0;;) {
    const size_t end = rest.find('\0', start);
    fields.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  static const char* const kKeys[] = {"config",       "palette",          "history", "epoch",
                                      "batches_done", "partial_loss_sum", "ab_bins"};
  static const bool kText[] = {true, true, true, false, false, false, true};  // else typed()
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  archive.write("magic", c10::IValue(std::string(kMagic)));
  archive.write("version", c10::IValue(kVersion));
  for (size_t i = 0; i < fields.size() && i < 7; ++i)
    archive.write(kKeys[i], kText[i] ? c10::IValue(fields[i]) : typed(fields[i]));
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

// Runs f; a tint::Error from it is a bug here (the input was accepted before).
template <typename F>
void must(F f) {
  try {
    f();
  } catch (const tint::Error&) {
    __builtin_trap();
  }
}

struct Signature {
  std::vector<int64_t> sizes;
  c10::ScalarType type;
};
std::vector<Signature> signatures(const std::vector<torch::Tensor>& tensors) {
  std::vector<Signature> s;
  for (const auto& t : tensors) s.push_back({t.sizes().vec(), t.scalar_type()});
  return s;
}
void expect_same(const std::vector<Signature>& before, const std::vector<torch::Tensor>& after) {
  if (before.size() != after.size()) __builtin_trap();
  for (size_t i = 0; i < before.size(); ++i)
    if (after[i].sizes().vec() != before[i].sizes || after[i].scalar_type() != before[i].type) __builtin_trap();
}

void check(const fs::path& file) {
  CheckpointReader reader(file);
  const auto& meta = reader.meta();
  if (meta.epoch < 0 || meta.batches_done < 0) __builtin_trap();
  if (meta.config.target == tint::train::ColourTarget::ab_bins) {
    if (meta.bins.size() != meta.config.net.num_colours) __builtin_trap();
  } else {
    const auto& colours = meta.palette.colours();
    if (meta.palette.size() < 2 || meta.palette.size() > 256 || colours.dim() != 2 || colours.size(1) != 3 ||
        colours.min().item<float>() < 0.0f || colours.max().item<float>() > 1.0f)
      __builtin_trap();
  }
  must([&] {
    const auto again = tint::train::config_from_json(tint::train::to_json(meta.config), "round-trip");
    if (tint::train::to_json(again) != tint::train::to_json(meta.config)) __builtin_trap();
  });
  if (meta.config.net.num_filters > kMaxBuiltFilters) return;

  // What train::load_model and a resume do: the network of the config, then its weights, then Adam's state.
  tint::models::ColourNet model = nullptr;
  must([&] { model = tint::models::make_model(meta.config.model, meta.config.net); });
  const auto parameters = signatures(model->parameters()), buffers = signatures(model->buffers());
  reader.restore_model(*model);
  expect_same(parameters, model->parameters());
  expect_same(buffers, model->buffers());
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(meta.config.learning_rate));
  reader.restore_optimizer(optimizer);
  for (const auto& p : model->parameters()) {
    const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
    if (!optimizer.state().count(key)) continue;
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*optimizer.state().at(key));
    if (s.step() < 0 || s.exp_avg().sizes() != p.sizes() || s.exp_avg_sq().sizes() != p.sizes() ||
        s.exp_avg().scalar_type() != p.scalar_type() || s.exp_avg_sq().scalar_type() != p.scalar_type())
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxInput) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    check(scratch.write(data[0] % 2 == 0 ? rest : archive_of_fields(rest)));
  } catch (const tint::Error&) {
    // The expected outcome for malformed input.
  }
  return 0;
}
