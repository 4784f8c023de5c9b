#include "tint/detect/fine_tune_config.h"

#include <limits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace tint::detect {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<FineTuneConfig>& fine_tune_settings() {
  using C = FineTuneConfig;
  static const SettingsTable<C> table = [] {
    // A number >= 0 (momentum, weight decay, warm-up epochs, augmentation strengths): not all of them fractions;
    // validate() adds the upper bound 1 to those that are.
    const auto non_negative = [](std::string flag, std::string key, double C::*field, std::string help) {
      return real<C>(std::move(flag), std::move(key), [field](C& c) -> double& { return c.*field; }, 0.0, true,
                     std::move(help));
    };
    return SettingsTable<C>{
        text<C>("data", "data", [](C& c) -> std::string& { return c.data; },
                "Training dataset folder: images/ with labels/ (YOLO txt) or annotations/ (Pascal VOC XML)"),
        path<C>("train-images", "train_images", [](C& c) -> std::filesystem::path& { return c.train_images; },
                "Train only on the images this file lists (names, or a CSV with a filename column)"),
        [] {
          auto r = text<C>("val-data", "val_data", [](C& c) -> std::string& { return c.val_data; },
                           "Validation dataset folder (default: --data)");
          r.check = [](const C&) {};  // empty means "the training folder"
          return r;
        }(),
        path<C>("val-images", "val_images", [](C& c) -> std::filesystem::path& { return c.val_images; },
                "Validate only on the images this file lists"),
        path<C>("cfg", "cfg", [](C& c) -> std::filesystem::path& { return c.cfg; },
                "Darknet .cfg to start from (default: the shipped Yolo-Fastest 1.1)"),
        path<C>("weights", "weights", [](C& c) -> std::filesystem::path& { return c.weights; },
                "Pretrained darknet .weights for --cfg"),
        path<C>("names", "names", [](C& c) -> std::filesystem::path& { return c.names; },
                "Class names of the data, one per line (default: the model's; another count resizes the heads)"),
        integer<C, int>("freeze", "freeze", [](C& c) -> int& { return c.freeze; }, 0, 100000,
                        "Freeze the first N darknet layers (their parameters, by name, as the source's D.1)"),
        integer<C, int>("epochs", "epochs", [](C& c) -> int& { return c.epochs; }, 1, 100000, "Epochs"),
        integer<C, int>("batch-size", "batch_size", [](C& c) -> int& { return c.batch_size; }, 1, 4096,
                        "Images per batch (per worker: with --nproc N the global batch is N times it)"),
        choice<C>("optimizer", "optimizer", [](C& c) -> std::string& { return c.optimizer; }, {"adam", "sgd"},
                  "adam, or sgd with Nesterov momentum"),
        real<C>("lr", "learning_rate", [](C& c) -> double& { return c.learning_rate; }, 0.0, false,
                "Peak learning rate (after warm-up; a cosine then takes it to a tenth)"),
        non_negative("momentum", "momentum", &C::momentum, "SGD momentum (Adam's beta1 stays 0.9)"),
        non_negative("weight-decay", "weight_decay", &C::weight_decay, "L2 weight decay"),
        non_negative("warmup-epochs", "warmup_epochs", &C::warmup_epochs,
                     "Epochs over which the learning rate ramps up from 0"),
        integer<C, int>("size", "size", [](C& c) -> int& { return c.size; }, 0, 4096,
                        "Network input side, a multiple of 32 (0 = the cfg's)"),
        enumeration<C, Resample>("resample", "resample", [](C& c) -> Resample& { return c.resample; }, resample_names(),
                                 "Photos to the input size: darknet's plain bilinear (as the model was pretrained) "
                                 "or antialias"),
        non_negative("flip", "flip", &C::flip, "Probability of a horizontal flip"),
        non_negative("scale", "scale", &C::scale, "Zoom drawn from [1 - scale, 1 + scale]"),
        non_negative("translate", "translate", &C::translate, "Shift drawn from +-translate of each side"),
        non_negative("hue", "hue", &C::hue, "Hue shift drawn from +-hue of a full turn"),
        non_negative("saturation", "saturation", &C::saturation, "Saturation times [1 - s, 1 + s]"),
        non_negative("value", "value", &C::value, "Brightness times [1 - v, 1 + v]"),
        non_negative("label-smoothing", "label_smoothing", &C::label_smoothing,
                     "Class targets 1 - e/2 and e/2 instead of 1 and 0"),
        boolean<C>("objectness-iou", "objectness_iou_target", [](C& c) -> bool& { return c.objectness_iou_target; },
                   false, "Objectness learns the predicted box's IoU (YOLOv5) instead of 1 (darknet)"),
        integer<C, uint64_t>("seed", "seed", [](C& c) -> uint64_t& { return c.seed; }, 0, 0,
                             "Seed of new class weights, shuffling and augmentation"),
        integer<C, int>("preview-images", "preview_images", [](C& c) -> int& { return c.preview_images; }, 1, 64,
                        "Validation images drawn in each predictions figure"),
        recorded_only(integer<C, int>("threads", "threads", [](C& c) -> int& { return c.threads; }, 0, 4096,
                                      "Intra-op threads the run started with")),
        recorded_only(integer<C, int>("world-size", "world_size", [](C& c) -> int& { return c.world_size; }, 1,
                                      1 << 16, "Data-parallel workers the run trains with")),
    };
  }();
  return table;
}
// clang-format on

void validate(const FineTuneConfig& c) {
  check_settings(fine_tune_settings(), c);
  const auto at_most_one = [](double v, const char* flag) {
    if (v > 1) throw Error(fmt::format("--{} must be at most 1, got {}", flag, v));
  };
  at_most_one(c.flip, "flip");
  at_most_one(c.scale, "scale");
  at_most_one(c.translate, "translate");
  at_most_one(c.hue, "hue");
  at_most_one(c.saturation, "saturation");
  at_most_one(c.value, "value");
  at_most_one(c.label_smoothing, "label-smoothing");
  at_most_one(c.momentum, "momentum");
  if (c.size % 32 != 0) throw Error(fmt::format("--size must be a multiple of 32, got {}", c.size));
  if (c.cfg.empty() != c.weights.empty()) throw Error("--cfg and --weights go together");
  if (!c.cfg.empty() && c.names.empty()) throw Error("--cfg needs --names: the class names of the data");
}

AugmentOptions augment_options(const FineTuneConfig& c) {
  AugmentOptions o;
  o.flip = float(c.flip);
  o.scale = float(c.scale);
  o.translate = float(c.translate);
  o.hue = float(c.hue);
  o.saturation = float(c.saturation);
  o.value = float(c.value);
  return o;
}

nlohmann::json to_json(const FineTuneConfig& c) { return settings_to_json(fine_tune_settings(), c); }

FineTuneConfig fine_tune_config_from_json(const nlohmann::json& j, const std::string& source) {
  FineTuneConfig c;
  c.resample = Resample::antialias;  // runs written before the key existed trained on antialiased inputs
  settings_from_json(fine_tune_settings(), j, source, c);
  return c;
}

}  // namespace tint::detect
