#include "tint/train/config.h"

#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/models/model_table.h"
#include "tint/train/photo_set.h"

namespace tint::train {

namespace {

// real() with an upper bound too: `hi` joins the row's range, and its flag, config.json and sweep checks refuse what
// lies above it with one message.
template <class C>
Setting<C> real_at_most(std::string flag, std::string key, std::function<double&(C&)> field, double lo, double hi,
                        std::string help) {
  auto row = real<C>(std::move(flag), std::move(key), field, lo, /*lo_inclusive=*/true, std::move(help));
  const std::string name = row.cli_name(), range = row.range + " and <= " + settings_detail::format_real(hi);
  auto below = [name, range, hi](double v) {
    if (v > hi) throw Error(name + " must be " + range + ", got " + settings_detail::format_real(v));
  };
  row.range = range;
  row.parse = [parse = row.parse, field, below](C& c, const std::string& text) {
    C probe = c;
    parse(probe, text);  // a finite number >= lo
    below(field(probe));
    c = probe;
  };
  row.check = [check = row.check, field, below](const C& c) {
    check(c);
    below(field(const_cast<C&>(c)));
  };
  row.invalid_examples.push_back(settings_detail::format_real(hi + 0.5));
  return row;
}

}  // namespace

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<TrainConfig>& train_settings() {
  using C = TrainConfig;
  static const SettingsTable<TrainConfig> table = [] {
    constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
    SettingsTable<C> t{sweepable(choice<C>("model", "model", [](C& c) -> std::string& { return c.model; },
                                           models::model_names(), "Network (the model table)"))};
    for (const auto& row : models::model_settings()) {
      if (row.flag == "head") {
        // A training run may leave the head to its target (resolve_head); the run records the one it trained.
        t.push_back(sweepable(choice<C>(
            "head", "head", [](C& c) -> std::string& { return c.net.head; }, {"auto", "figure", "pointwise"},
            "Last layers: auto (the default: figure for --target palette, pointwise for ab-bins), figure (the "
            "source's: block4 -> NC, final NC->NC kxk) or pointwise (block4 keeps NF, final 1x1 NF->NC: 7x faster an "
            "epoch with 244 ab bins)")));
        continue;
      }
      auto lifted = lift<C, models::ModelConfig>(row, [](C& c) -> models::ModelConfig& { return c.net; });
      // The training input is the one greyscale channel: NIC is recorded, not chosen (`tint summary` offers it).
      if (row.flag == "num-in-channels") lifted = recorded_only(lifted);
      // ab-bins runs record their bins' count (ColourTargets::resolve_num_colours): only the flag is refused.
      if (row.flag == "num-colours") {
        lifted = for_targets(lifted, {ColourTarget::palette},
                             "with --target ab-bins the network has one logit per ab bin of the training images",
                             /*by_value=*/false);
      }
      t.push_back(lifted);
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
                "CIFAR-10 category (name or index), or all (every class; the palette or bins then over all)"),
        folder<C>("images", "images", [](C& c) -> std::filesystem::path& { return c.images_dir; },
                "Train on the colour photos of this folder (JPEG, PNG, WebP; grey ones left out) instead of CIFAR-10"),
        integer<C, int>("crop", "crop", [](C& c) -> int& { return c.crop; }, 16, 1024,
                        "--images: side of the training squares, in pixels at the working scale"),
        integer<C, int>("photo-side", "photo_side", [](C& c) -> int& { return c.photo_side; }, 16, 4096,
                        "--images: the working scale, the shorter side photos are shrunk to (colourize's --size)"),
        integer<C, int>("crops-per-photo", "crops_per_photo", [](C& c) -> int& { return c.crops_per_photo; }, 1, 1024,
                        "--images: random squares cut from each training photo every epoch"),
        real_at_most<C>("scale-jitter", "scale_jitter", [](C& c) -> double& { return c.scale_jitter; }, 1.0, 4.0,
                        "--images: each square's photo is shrunk to photo-side times s, s log-uniform in "
                        "[1/jitter, jitter]"),
        real_at_most<C>("val-fraction", "val_fraction", [](C& c) -> double& { return c.val_fraction; }, 0.0, 0.5,
                        "--images: the fraction of photos held out for validation (every 1/f-th by name)"),
        boolean<C>("shuffle", "shuffle", [](C& c) -> bool& { return c.shuffle; }, /*negated_flag=*/true,
                   "Keep the training order fixed across epochs, as the source notebook did (default: reshuffle "
                   "every epoch)"),
        for_targets(path<C>("palette", "palette_file", [](C& c) -> std::filesystem::path& { return c.palette_file; },
                            "Reuse this palette.json instead of fitting one"),
                    {ColourTarget::palette}, "ab-bins runs fit their bins on the training images", /*by_value=*/true),
        integer<C, int>("kmeans-iterations", "kmeans_iterations", [](C& c) -> int& { return c.kmeans_iterations; },
                        1, 100000, "Lloyd iterations at most when fitting the palette"),
        sweepable(enumeration<C, ColourTarget>(
            "target", "target", [](C& c) -> ColourTarget& { return c.target; }, colour_target_names(),
            "Colour targets: palette (K RGB colours, the source) or ab-bins (CIELAB ab on a grid of 10, the bins of the "
            "training images; --num-colours becomes their count)")),
        for_targets(sweepable(real<C>("soft-targets", "soft_targets", [](C& c) -> double& { return c.soft_targets; },
                                      0.0, true,
                                      "ab-bins: Gaussian sigma (ab units) of soft targets over the 5 nearest bins "
                                      "(Zhang: 5; 0 = hard targets)")),
                    {ColourTarget::ab_bins}, "palette runs have hard targets", /*by_value=*/true),
        for_targets(sweepable(real_at_most<C>("rebalance", "rebalance", [](C& c) -> double& { return c.rebalance; },
                                              0.0, 1.0,
                                              "ab-bins: class rebalancing lambda, each pixel's loss weighted by "
                                              "(lambda p + (1 - lambda) / Q)^-1 of its bin's smoothed training prior "
                                              "p (0 = off, 0.5 = Zhang's)")),
                    {ColourTarget::ab_bins}, "palette runs are not rebalanced", /*by_value=*/true),
        // A palette run records the default decoding it does not use: only the flags are refused.
        for_targets(choice<C>("decode", "decode", [](C& c) -> std::string& { return c.decode; },
                              {"mode", "mean", "annealed"},
                              "ab-bins: the colour of a predicted distribution in samples and metrics: its most "
                              "probable bin, its mean, or the annealed mean (softmax(logits / T))"),
                    {ColourTarget::ab_bins}, "palette runs predict the argmax colour", /*by_value=*/false),
        for_targets(real<C>("temperature", "temperature", [](C& c) -> double& { return c.temperature; }, 0.0, false,
                            "ab-bins: T of the annealed mean (Zhang: 0.38; 1 = the mean, towards 0 the mode)"),
                    {ColourTarget::ab_bins}, "palette runs predict the argmax colour", /*by_value=*/false),
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
// clang-format on

void validate(const TrainConfig& c) { check_settings(train_settings(), c); }

void check_target_settings(const TrainConfig& c) { check_applicable(train_settings(), c); }

void resolve_head(TrainConfig& c) {
  if (c.net.head == "auto") c.net.head = c.target == ColourTarget::ab_bins ? "pointwise" : "figure";
}

models::ModelConfig network_config(const TrainConfig& c) {
  TrainConfig resolved = c;
  resolve_head(resolved);
  return resolved.net;
}

PhotoCropSettings photo_crop_settings(const TrainConfig& c) {
  return {c.crop, c.photo_side, c.crops_per_photo, c.scale_jitter};
}

data::AbDecoding ab_decoding(const TrainConfig& c) { return {data::ab_decode_from_string(c.decode), c.temperature}; }

c10::MemoryFormat memory_format(const TrainConfig& c) {
  return c.memory_format == "contiguous" ? c10::MemoryFormat::Contiguous : c10::MemoryFormat::ChannelsLast;
}

nlohmann::json to_json(const TrainConfig& c) { return settings_to_json(train_settings(), c); }

TrainConfig config_from_json(const nlohmann::json& j, const std::string& source) {
  TrainConfig c;  // keys a run made before a setting existed leave its default (memory_format; threads: 0)
  // Runs made before --head existed trained the figure's head, whatever their target; "auto" is for new runs only.
  c.net.head = "figure";
  settings_from_json(train_settings(), j, source, c);
  return c;
}

}  // namespace tint::train
