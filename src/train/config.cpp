#include "tint/train/config.h"

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "tint/models/model_table.h"

namespace tint::train {

const SettingsTable<TrainConfig>& train_settings() {
  using C = TrainConfig;
  static const SettingsTable<TrainConfig> table = [] {
    constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
    SettingsTable<C> t{sweepable(choice<C>("model", "model", [](C& c) -> std::string& { return c.model; },
                                           models::model_names(), "Network (the model table)"))};
    for (const auto& row : models::model_settings()) {
      auto lifted = lift<C, models::ModelConfig>(row, [](C& c) -> models::ModelConfig& { return c.net; });
      // The training input is the one greyscale channel: NIC is recorded, not chosen (`tint summary` offers it).
      t.push_back(row.flag == "num-in-channels" ? recorded_only(lifted) : lifted);
    }
    SettingsTable<C> rest{
        sweepable(real<C>("lr", "learning_rate", [](C& c) -> double& { return c.learning_rate; }, 0.0, false,
                          "Adam learning rate")),
        sweepable(real<C>("weight-decay", "weight_decay", [](C& c) -> double& { return c.weight_decay; }, 0.0, true,
                          "Adam's L2 weight decay (0: none, as the source)")),
        sweepable(integer<C, int>("batch-size", "batch_size", [](C& c) -> int& { return c.batch_size; }, 1, 1 << 20,
                                  "Images per batch (per worker: with --nproc N the global batch is N times it)")),
        integer<C, int>("epochs", "epochs", [](C& c) -> int& { return c.epochs; }, 1, 100000, "Epochs"),
        integer<C, uint64_t>("seed", "seed", [](C& c) -> uint64_t& { return c.seed; }, 0, 0,
                             "Seed of the palette, initialization and shuffling"),
        text<C>("category", "category", [](C& c) -> std::string& { return c.category; },
                "CIFAR-10 category (name or index)"),
        boolean<C>("shuffle", "shuffle", [](C& c) -> bool& { return c.shuffle; }, /*negated_flag=*/true,
                   "Keep the training order fixed across epochs, as the source notebook did (default: reshuffle "
                   "every epoch)"),
        path<C>("palette", "palette_file", [](C& c) -> std::filesystem::path& { return c.palette_file; },
                "Reuse this palette.json instead of fitting one"),
        integer<C, int>("kmeans-iterations", "kmeans_iterations", [](C& c) -> int& { return c.kmeans_iterations; },
                        1, 100000, "Lloyd iterations at most when fitting the palette"),
        integer<C, int64_t>("train-limit", "train_limit", [](C& c) -> int64_t& { return c.train_limit; }, 0,
                            kMaxInt64, "Use only the first N training images (0 = all)"),
        integer<C, int64_t>("val-limit", "val_limit", [](C& c) -> int64_t& { return c.val_limit; }, 0, kMaxInt64,
                            "Use only the first N validation images (0 = all)"),
        integer<C, int>("samples", "sample_count", [](C& c) -> int& { return c.sample_count; }, 1, 64,
                        "Validation images in each samples figure"),
        choice<C>("precision", "precision", [](C& c) -> std::string& { return c.precision; }, {"fp32", "bf16"},
                  "fp32, or bf16 (autocast forward passes, fp32 master weights)"),
        choice<C>("memory-format", "memory_format", [](C& c) -> std::string& { return c.memory_format; },
                  {"channels-last", "contiguous"},
                  "channels-last (NHWC, faster here) or contiguous (NCHW, LibTorch's default); same numbers to "
                  "rounding"),
        recorded_only(integer<C, int>("threads", "threads", [](C& c) -> int& { return c.threads; }, 0, 4096,
                                      "Intra-op threads the run started with (0: not recorded)")),
        recorded_only(integer<C, int>("world-size", "world_size", [](C& c) -> int& { return c.world_size; }, 1,
                                      1 << 16, "Data-parallel workers the run trains with")),
        boolean<C>("sync-batchnorm", "sync_batchnorm", [](C& c) -> bool& { return c.sync_batchnorm; },
                   /*negated_flag=*/false,
                   "Data-parallel: batchnorm over the global batch's statistics (default: each worker's own, as DDP)"),
    };
    t.insert(t.end(), rest.begin(), rest.end());
    return t;
  }();
  return table;
}

void validate(const TrainConfig& c) { check_settings(train_settings(), c); }

c10::MemoryFormat memory_format(const TrainConfig& c) {
  return c.memory_format == "contiguous" ? c10::MemoryFormat::Contiguous : c10::MemoryFormat::ChannelsLast;
}

nlohmann::json to_json(const TrainConfig& c) { return settings_to_json(train_settings(), c); }

TrainConfig config_from_json(const nlohmann::json& j, const std::string& source) {
  TrainConfig c;  // keys a run made before a setting existed leave its default (memory_format; threads: 0)
  settings_from_json(train_settings(), j, source, c);
  return c;
}

}  // namespace tint::train
