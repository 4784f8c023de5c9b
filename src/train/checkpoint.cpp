#include "tint/train/checkpoint.h"

#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {
constexpr const char* kMagic = "tint-checkpoint";
constexpr int64_t kVersion = 1;
}  // namespace

void save_checkpoint(const fs::path& path, const CheckpointMeta& meta, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("magic", c10::IValue(std::string(kMagic)));
  archive.write("version", c10::IValue(kVersion));
  archive.write("epoch", c10::IValue(int64_t{meta.epoch}));
  archive.write("config", c10::IValue(to_json(meta.config).dump()));
  archive.write("palette", c10::IValue(meta.palette.to_json().dump()));
  archive.write("history", c10::IValue(history_to_json(meta.history).dump()));
  archive.write("batches_done", c10::IValue(meta.batches_done));
  archive.write("partial_loss_sum", c10::IValue(meta.partial_loss_sum));
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

CheckpointReader::CheckpointReader(const fs::path& path) : path_(path) {
  const std::string name = path.string();
  std::istringstream bytes(read_file(path));
  try {
    archive_.load_from(bytes);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not a tint checkpoint (cannot read the archive)", name));
  }
  auto read_string = [&](const char* key) {
    c10::IValue v;
    if (!archive_.try_read(key, v) || !v.isString()) {
      throw Error(fmt::format("{}: not a tint checkpoint (no '{}')", name, key));
    }
    return v.toStringRef();
  };
  if (read_string("magic") != kMagic) throw Error(fmt::format("{}: not a tint checkpoint (wrong magic)", name));
  c10::IValue version, epoch;
  if (!archive_.try_read("version", version) || !version.isInt() || version.toInt() != kVersion) {
    throw Error(fmt::format("{}: unsupported checkpoint version (this tint reads version {})", name, kVersion));
  }
  if (!archive_.try_read("epoch", epoch) || !epoch.isInt() || epoch.toInt() < 0) {
    throw Error(fmt::format("{}: checkpoint has no valid epoch", name));
  }
  auto parse = [&](const char* key) {
    auto j = nlohmann::json::parse(read_string(key), nullptr, false);
    if (j.is_discarded()) throw Error(fmt::format("{}: corrupt '{}' in checkpoint", name, key));
    return j;
  };
  meta_.epoch = static_cast<int>(epoch.toInt());
  c10::IValue batches, partial;
  if (!archive_.try_read("batches_done", batches) || !batches.isInt() || batches.toInt() < 0 ||
      !archive_.try_read("partial_loss_sum", partial) || !partial.isDouble()) {
    throw Error(fmt::format("{}: checkpoint has no valid batch position", name));
  }
  meta_.batches_done = batches.toInt();
  meta_.partial_loss_sum = partial.toDouble();
  meta_.config = config_from_json(parse("config"), name + " (config)");
  meta_.palette = data::Palette::from_json(parse("palette"), name + " (palette)");
  try {
    meta_.history = history_from_json(parse("history"));
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("{}: corrupt 'history' in checkpoint", name));
  }
}

void CheckpointReader::restore_model(torch::nn::Module& model) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("model", sub)) throw Error(fmt::format("{}: checkpoint has no model", path_.string()));
    model.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: model weights do not match its config: {}", path_.string(),
                            e.what_without_backtrace()));
  }
}

void CheckpointReader::restore_optimizer(torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("optimizer", sub)) {
      throw Error(fmt::format("{}: checkpoint has no optimizer state", path_.string()));
    }
    optimizer.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: optimizer state does not match: {}", path_.string(), e.what_without_backtrace()));
  }
}

}  // namespace tint::train
