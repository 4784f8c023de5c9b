#include "tint/train/checkpoint.h"

#include <limits>

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"

namespace tint::train {
namespace fs = std::filesystem;

namespace {
constexpr const char* kMagic = "tint-checkpoint";
constexpr int64_t kVersion = 1;

void put_meta(CheckpointWriter& archive, const CheckpointMeta& meta) {
  archive.put("epoch", int64_t{meta.epoch});
  archive.put("config", to_json(meta.config));
  if (meta.config.target == ColourTarget::ab_bins) {
    archive.put("ab_bins", meta.bins.to_json());
  } else {
    archive.put("palette", meta.palette.to_json());
  }
  archive.put("history", history_to_json(meta.history));
  archive.put("batches_done", meta.batches_done);
  archive.put("partial_loss_sum", meta.partial_loss_sum);
}

}  // namespace

void save_checkpoint(const fs::path& path, const CheckpointMeta& meta, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer) {
  CheckpointWriter archive(kMagic, kVersion);
  put_meta(archive, meta);
  archive.put_state(model, optimizer);
  archive.save(path);
}

void save_weights_only(const fs::path& path, const CheckpointMeta& meta, torch::nn::Module& model) {
  CheckpointWriter archive(kMagic, kVersion);
  put_meta(archive, meta);
  archive.put_model(model);
  archive.save(path);
}

CheckpointReader::CheckpointReader(const fs::path& path) : archive_(path, kMagic, kVersion) { read_meta(); }

CheckpointReader::CheckpointReader(const std::string& name, const std::string& bytes)
    : archive_(name, bytes, kMagic, kVersion) {
  read_meta();
}

void CheckpointReader::read_meta() {
  const std::string& name = archive_.name();
  meta_.epoch = static_cast<int>(archive_.integer("epoch", 0, std::numeric_limits<int>::max()));
  meta_.batches_done = archive_.integer("batches_done");
  meta_.partial_loss_sum = archive_.real("partial_loss_sum");
  meta_.config = config_from_json(archive_.json("config"), name + " (config)");
  if (meta_.config.target == ColourTarget::ab_bins) {
    meta_.bins = data::AbBins::from_json(archive_.json("ab_bins"), name + " (ab bins)");
    if (meta_.bins.size() != meta_.config.net.num_colours) {
      throw Error(fmt::format("{}: {} ab bins for a network of {} colours", name, meta_.bins.size(),
                              meta_.config.net.num_colours));
    }
  } else {
    meta_.palette = data::Palette::from_json(archive_.json("palette"), name + " (palette)");
  }
  try {
    meta_.history = history_from_json(archive_.json("history"));
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's what() is "[json.exception.<kind>.<id>] <reason>": the reason is what the message needs.
    const std::string what = e.what();
    const size_t reason = what.find("] ");
    throw Error(fmt::format("{}: corrupt 'history' in checkpoint ({})", name,
                            reason == std::string::npos ? what : what.substr(reason + 2)));
  }
}

ColourTargets colour_targets(const CheckpointMeta& meta) {
  if (meta.config.target == ColourTarget::ab_bins) {
    return ColourTargets::ab_bins(meta.bins, meta.config.soft_targets, meta.config.rebalance);
  }
  return ColourTargets::palette(meta.palette);
}

}  // namespace tint::train
