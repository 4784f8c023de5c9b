// A checkpoint file: one LibTorch archive tagged with a magic string and a format version, holding named JSON texts,
// integers and numbers besides a module's and an optimizer's state. Written atomically; read with every field checked,
// errors naming the file. Colourization (train/checkpoint.h) and detection (detect/fine_tune.h) checkpoints are both
// this, with their own magic and fields.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <nlohmann/json.hpp>

namespace tint {

class CheckpointWriter {
 public:
  CheckpointWriter(const std::string& magic, int64_t version);
  void put(const std::string& key, const nlohmann::json& value);  // stored as its text
  void put(const std::string& key, int64_t value);
  void put(const std::string& key, double value);
  void put_state(torch::nn::Module& model, torch::optim::Optimizer& optimizer);
  // The module's state alone: a file that runs the model but cannot resume training (restore_optimizer says so).
  void put_model(torch::nn::Module& model);
  void save(const std::filesystem::path& path) const;  // atomically

 private:
  mutable torch::serialize::OutputArchive archive_;
};

class CheckpointArchive {
 public:
  // Throws tint::Error naming the file when it cannot be read as an archive, or its magic or version is not these.
  CheckpointArchive(const std::filesystem::path& path, const std::string& magic, int64_t version);
  // The same from a checkpoint file's bytes (read elsewhere: data-parallel workers receive rank 0's); `name` is the
  // file it came from, for messages.
  CheckpointArchive(const std::string& name, const std::string& bytes, const std::string& magic, int64_t version);
  nlohmann::json json(const std::string& key);
  int64_t integer(const std::string& key, int64_t min = 0, int64_t max = std::numeric_limits<int64_t>::max());
  double real(const std::string& key);
  // The saved states into `model` / `optimizer`, which must have the same shapes (an Error says which did not).
  void restore_model(torch::nn::Module& model);
  void restore_optimizer(torch::optim::Optimizer& optimizer);
  const std::string& name() const { return name_; }

 private:
  std::string text(const std::string& key);
  std::string name_;
  torch::serialize::InputArchive archive_;
};

}  // namespace tint
