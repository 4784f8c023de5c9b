#include "tint/detect/detect_settings.h"

#include "tint/core/error.h"
#include "tint/detect/fine_tune.h"
#include "tint/detect/fine_tune_config.h"
#include "tint/runs/run_kind.h"

namespace tint::detect {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<DetectorChoice>& detector_choice_settings() {
  using C = DetectorChoice;
  static const SettingsTable<C> table{
      optional_text<C>("run", "run", [](C& c) -> std::string& { return c.run; },
                    "Use the fine-tuned model of this `tint detect train` run directory"),
      optional_text<C>("cfg", "cfg", [](C& c) -> std::string& { return c.cfg; },
                    "Darknet .cfg (default: the shipped Yolo-Fastest 1.1, COCO's 80 classes)"),
      optional_text<C>("weights", "weights", [](C& c) -> std::string& { return c.weights; }, "Darknet .weights for --cfg"),
      optional_text<C>("names", "names", [](C& c) -> std::string& { return c.names; },
                    "Class names, one per line (default: coco.names beside the shipped model)"),
  };
  return table;
}
// clang-format on

DetectorFiles detector_files(const DetectorChoice& choice, const std::filesystem::path& shipped_dir) {
  if (!choice.run.empty()) {
    const std::filesystem::path run(choice.run);
    runs::expect_kind(run, runs::RunKind::detection, "--run");
    return {run / run_files::kCfg, run / run_files::kWeights, run / run_files::kNames};
  }
  if (choice.cfg.empty() != choice.weights.empty()) throw Error("--cfg and --weights go together");
  DetectorFiles files{shipped_dir / "yolo-fastest-1.1.cfg", shipped_dir / "yolo-fastest-1.1.weights",
                      shipped_dir / "coco.names"};
  if (!choice.cfg.empty()) files.cfg = choice.cfg, files.weights = choice.weights;
  if (!choice.names.empty()) files.names = choice.names;
  return files;
}

Resample run_resample(const std::filesystem::path& run) {
  const auto json = runs::read_config(run, runs::RunKind::detection);
  return fine_tune_config_from_json(json, (run / run_files::kConfig).string()).resample;
}

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<DetectOptions>& detect_settings() {
  using C = DetectOptions;
  static const SettingsTable<C> table{
      integer<C, int>("size", "size", [](C& c) -> int& { return c.size; }, 0, 4096,
                      "Network input side in pixels, a multiple of 32 (0 = the cfg's, 320 for Yolo-Fastest)"),
      enumeration<C, ResizeMode>("resize", "resize", [](C& c) -> ResizeMode& { return c.resize; },
                                 {{ResizeMode::stretch, to_string(ResizeMode::stretch)},
                                  {ResizeMode::letterbox, to_string(ResizeMode::letterbox)}},
                                 "stretch: both sides to --size, as darknet and the model's training; letterbox: keep "
                                 "the aspect ratio, pad with grey"),
      enumeration<C, Resample>("resample", "resample", [](C& c) -> Resample& { return c.resample; }, resample_names(),
                               "darknet: plain bilinear on darknet's grid, as the model was trained (resize_image); "
                               "antialias: averages what each input pixel covers when shrinking"),
      real_between<C, float>("conf", "conf", [](C& c) -> float& { return c.post.conf; }, 0.0f, 1.0f,
                             "Keep detections whose objectness x class probability reaches this"),
      real_between<C, float>("iou", "iou", [](C& c) -> float& { return c.post.iou; }, 0.0f, 1.0f,
                             "Non-maximum suppression: drop a box overlapping a better one of its class by more than "
                             "this IoU"),
  };
  return table;
}
// clang-format on

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<DatasetEvaluationOptions>& evaluation_settings() {
  using C = DatasetEvaluationOptions;
  static const SettingsTable<C> table = [] {
    const auto detect = [](C& c) -> DetectOptions& { return c.detect; };
    return SettingsTable<C>{
        lift<C, DetectOptions>(*find_setting(detect_settings(), "size"), detect),
        lift<C, DetectOptions>(*find_setting(detect_settings(), "resize"), detect),
        lift<C, DetectOptions>(*find_setting(detect_settings(), "resample"), detect),
        real_between<C, float>("conf", "report_conf", [](C& c) -> float& { return c.report_conf; }, 0.0f, 1.0f,
                               "Confidence at which precision and recall are counted (AP uses every detection down "
                               "to 0.001)"),
        lift<C, DetectOptions>(*find_setting(detect_settings(), "iou"), detect),
        enumeration<C, PhotoDecode>("decode", "decode", [](C& c) -> PhotoDecode& { return c.decode; },
                                    {{PhotoDecode::full, "full"}, {PhotoDecode::dct, "dct"}},
                                    "full: decode each photo whole; dct: JPEGs by DCT scaling at the smallest of 1/2, "
                                    "1/4, 1/8 that keeps the input size (faster, other pixels)"),
    };
  }();
  return table;
}
// clang-format on

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<AnchorOptions>& anchor_settings() {
  using C = AnchorOptions;
  static const SettingsTable<C> table{
      integer<C, int>("num", "num", [](C& c) -> int& { return c.num; }, 1, 1024,
                      "Anchors to find (Yolo-Fastest's cfg has 6: 3 per head)"),
      integer<C, uint64_t>("seed", "seed", [](C& c) -> uint64_t& { return c.seed; }, 0, 0,
                           "Seed of the k-means++ seeding (the same seed gives the same anchors)"),
  };
  return table;
}
// clang-format on

}  // namespace tint::detect
