#include "fine_tune_checkpoint.h"

#include <algorithm>
#include <limits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"

namespace tint::detect {

namespace {
constexpr const char* kCheckpointMagic = "tint-detect-checkpoint";
constexpr int64_t kCheckpointVersion = 1;
constexpr size_t kLossParts = 4;  // box, objectness, class, total
}  // namespace

void save_fine_tune_checkpoint(const std::filesystem::path& path, const FineTuneConfig& config,
                               const runs::Position& at, const std::vector<DetectEpoch>& history,
                               torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  CheckpointWriter archive(kCheckpointMagic, kCheckpointVersion);
  archive.put("config", to_json(config));
  archive.put("epoch", int64_t{at.epoch});
  archive.put("batches_done", at.batches_done);
  std::vector<double> sums = at.sums;
  sums.resize(kLossParts, 0.0);
  archive.put("sums", nlohmann::json(sums));
  archive.put("history", detect_history_to_json(history));
  archive.put_state(model, optimizer);
  archive.save(path);
}

FineTuneCheckpoint::FineTuneCheckpoint(const std::string& file, const std::string& bytes)
    : archive(file, bytes, kCheckpointMagic, kCheckpointVersion) {
  const std::string& name = archive.name();
  config = fine_tune_config_from_json(archive.json("config"), name + " (config)");
  position.epoch = int(archive.integer("epoch", 0, std::numeric_limits<int>::max()));
  position.batches_done = archive.integer("batches_done");
  try {
    position.sums = archive.json("sums").get<std::vector<double>>();
    if (position.sums.size() != kLossParts) throw Error("sums");
    history = detect_history_from_json(archive.json("history"));
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: damaged checkpoint ({})", name, message_of(e)));
  }
}

}  // namespace tint::detect
