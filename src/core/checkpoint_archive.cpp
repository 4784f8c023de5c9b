#include "tint/core/checkpoint_archive.h"

#include <sstream>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint {
namespace fs = std::filesystem;

CheckpointWriter::CheckpointWriter(const std::string& magic, int64_t version) {
  archive_.write("magic", c10::IValue(magic));
  archive_.write("version", c10::IValue(version));
}

void CheckpointWriter::put(const std::string& key, const nlohmann::json& value) {
  archive_.write(key, c10::IValue(value.dump()));
}
void CheckpointWriter::put(const std::string& key, int64_t value) { archive_.write(key, c10::IValue(value)); }
void CheckpointWriter::put(const std::string& key, double value) { archive_.write(key, c10::IValue(value)); }

void CheckpointWriter::put_state(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive_.write("model", model_archive);
  archive_.write("optimizer", optimizer_archive);
}

void CheckpointWriter::save(const fs::path& path) const {
  std::ostringstream bytes;
  archive_.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

CheckpointArchive::CheckpointArchive(const fs::path& path, const std::string& magic, int64_t version)
    : CheckpointArchive(path.string(), read_file(path), magic, version) {}

CheckpointArchive::CheckpointArchive(const std::string& name, const std::string& file_bytes, const std::string& magic,
                                     int64_t version)
    : name_(name) {
  std::istringstream bytes(file_bytes);
  try {
    archive_.load_from(bytes);
  } catch (const c10::Error&) {
    throw Error(fmt::format("{}: not a tint checkpoint (cannot read the archive)", name_));
  }
  if (text("magic") != magic) throw Error(fmt::format("{}: not a tint checkpoint of this kind ({} expected)", name_, magic));
  c10::IValue v;
  if (!archive_.try_read("version", v) || !v.isInt() || v.toInt() != version)
    throw Error(fmt::format("{}: unsupported checkpoint version (this tint reads version {})", name_, version));
}

std::string CheckpointArchive::text(const std::string& key) {
  c10::IValue v;
  if (!archive_.try_read(key, v) || !v.isString())
    throw Error(fmt::format("{}: not a tint checkpoint (no '{}')", name_, key));
  return v.toStringRef();
}

nlohmann::json CheckpointArchive::json(const std::string& key) {
  auto j = nlohmann::json::parse(text(key), nullptr, false);
  if (j.is_discarded()) throw Error(fmt::format("{}: corrupt '{}' in checkpoint", name_, key));
  return j;
}

int64_t CheckpointArchive::integer(const std::string& key, int64_t min) {
  c10::IValue v;
  if (!archive_.try_read(key, v) || !v.isInt() || v.toInt() < min)
    throw Error(fmt::format("{}: checkpoint has no valid '{}'", name_, key));
  return v.toInt();
}

double CheckpointArchive::real(const std::string& key) {
  c10::IValue v;
  if (!archive_.try_read(key, v) || !v.isDouble()) throw Error(fmt::format("{}: checkpoint has no valid '{}'", name_, key));
  return v.toDouble();
}

void CheckpointArchive::restore_model(torch::nn::Module& model) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("model", sub)) throw Error(fmt::format("{}: checkpoint has no model", name_));
    model.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: model weights do not match its config: {}", name_, e.what_without_backtrace()));
  }
}

void CheckpointArchive::restore_optimizer(torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("optimizer", sub)) throw Error(fmt::format("{}: checkpoint has no optimizer state", name_));
    optimizer.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: optimizer state does not match: {}", name_, e.what_without_backtrace()));
  }
}

}  // namespace tint
