// The settings of detecting and evaluating as settings tables (core/settings.h): which model detects, the network
// input (--size, --resize, --resample) and the post-processing (--conf, --iou). `tint detect` and `tint detect evaluate` bind
// these rows, so each flag is declared once with its range and help (`detect train`'s are fine_tune_settings()).
#pragma once

#include <filesystem>
#include <string>

#include "tint/core/settings.h"
#include "tint/detect/anchors.h"
#include "tint/detect/detector.h"
#include "tint/detect/evaluate_dataset.h"

namespace tint::detect {

// Which model detects: a `tint detect train` run directory, or darknet files; empty fields were not given (the
// shipped Yolo-Fastest 1.1 then, with COCO's names).
struct DetectorChoice {
  std::string run, cfg, weights, names;
};

// --run, --cfg, --weights, --names. The flags' exclusions (--run or the files) are the command's to bind.
const SettingsTable<DetectorChoice>& detector_choice_settings();

struct DetectorFiles {
  std::filesystem::path cfg, weights, names;
};
// The files `choice` names: the run directory's (detect::run_files; a run of another kind is refused), else the shipped model's in `shipped_dir`
// with --cfg and --weights (given together) and --names in their places. Throws tint::Error naming the flags.
DetectorFiles detector_files(const DetectorChoice& choice, const std::filesystem::path& shipped_dir);

// The resampling a `tint detect train` run trained with (its config.json; antialias for runs written before the key
// existed): `tint detect --run` and `detect evaluate --run` use it unless --resample is given.
Resample run_resample(const std::filesystem::path& run);

// --size (0..4096), --resize (stretch|letterbox), --resample (darknet|antialias), --conf and --iou (0..1) of
// `tint detect`.
const SettingsTable<DetectOptions>& detect_settings();

// `tint detect evaluate`: --size, --resize, --resample and --iou as detect_settings()'s rows, --conf, the confidence
// at which precision and recall are counted (AP reads every detection down to the options' own floor), and --decode
// (full|dct).
const SettingsTable<DatasetEvaluationOptions>& evaluation_settings();

// `tint detect anchors`: --num (1..1024, default 6 as Yolo-Fastest's cfg) and --seed (of the k-means++ seeding).
const SettingsTable<AnchorOptions>& anchor_settings();

}  // namespace tint::detect
