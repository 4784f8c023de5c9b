#include "tint/core/checkpoint_archive.h"

#include <sstream>

#include <fmt/core.h>
#include <fmt/format.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "torch_archive_check.h"

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

void CheckpointWriter::put_model(torch::nn::Module& model) {
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive_.write("model", model_archive);
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
  const auto unreadable = [&] {
    return Error(fmt::format("{}: not a tint checkpoint (cannot read the archive)", name_));
  };
  try {
    detail::check_torch_archive(file_bytes, name_);  // what LibTorch 1.13 trusts and could crash on
  } catch (const c10::Error&) {
    throw unreadable();
  }
  try {
    archive_.load_from(bytes);
  } catch (const std::exception&) {  // c10::Error, or the TorchScript compiler's error for a corrupt code/ entry
    throw unreadable();
  }
  if (text("magic") != magic)
    throw Error(fmt::format("{}: not a tint checkpoint of this kind ({} expected)", name_, magic));
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

int64_t CheckpointArchive::integer(const std::string& key, int64_t min, int64_t max) {
  c10::IValue v;
  if (!archive_.try_read(key, v) || !v.isInt() || v.toInt() < min || v.toInt() > max)
    throw Error(fmt::format(
        "{}: checkpoint has no valid '{}' (an integer {})", name_, key,
        max == std::numeric_limits<int64_t>::max() ? fmt::format("from {}", min) : fmt::format("in {}..{}", min, max)));
  return v.toInt();
}

double CheckpointArchive::real(const std::string& key) {
  c10::IValue v;
  if (!archive_.try_read(key, v) || !v.isDouble())
    throw Error(fmt::format("{}: checkpoint has no valid '{}'", name_, key));
  return v.toDouble();
}

namespace {

std::string describe(const torch::Tensor& t) {
  const std::string shape = t.dim() == 0 ? std::string("a scalar") : fmt::format("{}", fmt::join(t.sizes(), "x"));
  return fmt::format("{} {}", shape, c10::toString(t.scalar_type()));
}

// LibTorch's unpickler gives a saved tensor the sizes, strides and offset its pickle says without checking them
// against the bytes stored for it; every element must lie inside its storage.
bool within_storage(const torch::Tensor& t) {
  if (t.numel() == 0) return true;
  if (!t.has_storage() || t.storage_offset() < 0) return false;
  __int128 last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) < 0) return false;
    last += static_cast<__int128>(t.size(d) - 1) * t.stride(d);
  }
  return (last + 1) * static_cast<__int128>(t.element_size()) <= static_cast<__int128>(t.storage().nbytes());
}

// Module::load puts each saved tensor in place of the module's (Tensor::set_) whatever its shape or type, so a
// checkpoint of another network would load without a word and fail, or run, later. Every saved tensor is compared
// with the module's before anything is loaded; the walk is Module::load's own (parameters, buffers, then the
// serializable children, each in its own archive).
void check_saved_state(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix,
                       const std::string& file) {
  const auto check = [&](const std::string& key, const torch::Tensor& own, bool is_buffer) {
    torch::Tensor saved;
    if (!archive.try_read(key, saved, is_buffer)) {
      throw Error(
          fmt::format("{}: model weights do not match its config: no '{}{}' in the checkpoint", file, prefix, key));
    }
    if (saved.sizes() != own.sizes() || saved.scalar_type() != own.scalar_type() || saved.layout() != own.layout() ||
        saved.device() != own.device()) {
      throw Error(
          fmt::format("{}: model weights do not match its config: '{}{}' is {} in the checkpoint, {} in the "
                      "network",
                      file, prefix, key, describe(saved), describe(own)));
    }
    if (!within_storage(saved)) {
      throw Error(fmt::format("{}: corrupt checkpoint: '{}{}' reaches past the data stored for it", file, prefix, key));
    }
  };
  for (const auto& p : module.named_parameters(/*recurse=*/false)) check(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(/*recurse=*/false)) check(b.key(), b.value(), true);
  for (const auto& child : module.named_children()) {
    if (!child.value()->is_serializable()) continue;
    torch::serialize::InputArchive child_archive;
    archive.read(child.key(), child_archive);
    check_saved_state(child_archive, *child.value(), prefix + child.key() + ".", file);
  }
}

// Optimizer::load takes the saved per-parameter state as it is: an Adam moment or SGD momentum of another shape or
// type would fail at the next step (or broadcast into it).
void check_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& file) {
  const auto fail = [&](size_t index, const std::string& what, const torch::Tensor& t, const torch::Tensor& p) {
    throw Error(fmt::format("{}: optimizer state does not match: {} of parameter {} is {}, the parameter {}", file,
                            what, index, t.defined() ? describe(t) : std::string("missing"), describe(p)));
  };
  const auto matches = [](const torch::Tensor& t, const torch::Tensor& p) {
    return t.defined() && t.sizes() == p.sizes() && t.scalar_type() == p.scalar_type() && t.layout() == p.layout() &&
           t.device() == p.device() && within_storage(t);
  };
  size_t index = 0;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) {
      const auto it = optimizer.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (it != optimizer.state().end()) {
        const auto* state = it->second.get();
        if (const auto* adam = dynamic_cast<const torch::optim::AdamParamState*>(state)) {
          if (adam->step() < 0) {
            throw Error(
                fmt::format("{}: optimizer state does not match: step {} of parameter {}", file, adam->step(), index));
          }
          if (!matches(adam->exp_avg(), p)) fail(index, "Adam's exp_avg", adam->exp_avg(), p);
          if (!matches(adam->exp_avg_sq(), p)) fail(index, "Adam's exp_avg_sq", adam->exp_avg_sq(), p);
          if (adam->max_exp_avg_sq().defined() && !matches(adam->max_exp_avg_sq(), p))
            fail(index, "Adam's max_exp_avg_sq", adam->max_exp_avg_sq(), p);
        } else if (const auto* sgd = dynamic_cast<const torch::optim::SGDParamState*>(state)) {
          if (sgd->momentum_buffer().defined() && !matches(sgd->momentum_buffer(), p))
            fail(index, "SGD's momentum buffer", sgd->momentum_buffer(), p);
        }
      }
      ++index;
    }
  }
}

}  // namespace

void CheckpointArchive::restore_model(torch::nn::Module& model) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("model", sub)) throw Error(fmt::format("{}: checkpoint has no model", name_));
    check_saved_state(sub, model, "", name_);
    model.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: model weights do not match its config: {}", name_, e.what_without_backtrace()));
  }
}

void CheckpointArchive::restore_optimizer(torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive sub;
  try {
    if (!archive_.try_read("optimizer", sub))
      throw Error(
          fmt::format("{}: checkpoint has no optimizer state (weights only: it runs the model but "
                      "cannot resume training)",
                      name_));
    optimizer.load(sub);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: optimizer state does not match: {}", name_, e.what_without_backtrace()));
  }
  check_optimizer_state(optimizer, name_);
}

}  // namespace tint
