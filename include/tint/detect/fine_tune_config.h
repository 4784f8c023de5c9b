// Everything that defines a detector fine-tuning run (`tint detect train`), and its settings table: each setting's
// flag, JSON key, range and help written once, read by the CLI, config.json and validation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "tint/core/settings.h"
#include "tint/detect/augment.h"
#include "tint/detect/network_input.h"

namespace tint::detect {

struct FineTuneConfig {
  // The data: a dataset folder (images/ + labels/ or annotations/, data/detection_dataset.h), optional image lists
  // selecting the training and validation images, and the validation folder (default: the training one).
  std::string data, val_data;
  std::filesystem::path train_images, val_images;
  // The starting model: darknet cfg + weights (default: the shipped Yolo-Fastest 1.1) and the class names of the
  // data (default: the model's own). A class list of another length resizes the yolo heads' class channels.
  std::filesystem::path cfg, weights, names;
  int freeze = 0;  // the first N darknet layers keep their pretrained weights (the source's D.1)
  int epochs = 30;
  int batch_size = 16;
  std::string optimizer = "adam";  // adam or sgd (momentum, nesterov)
  double learning_rate = 0.001;
  double momentum = 0.9;
  double weight_decay = 0.0005;
  double warmup_epochs = 1.0;  // learning rate ramps linearly from 0 over these, then follows a cosine to lr / 10
  int size = 0;                // network input side (multiple of 32); 0 = the cfg's
  // How photos are resampled to the input size, for training and validation. A config.json without the key (runs
  // written before it existed) reads as antialias, the resampling those runs trained with.
  Resample resample = Resample::darknet;
  double flip = 0.5, scale = 0.25, translate = 0.1, hue = 0.015, saturation = 0.7, value = 0.4;
  double label_smoothing = 0.0;
  bool objectness_iou_target = false;
  uint64_t seed = 0;
  int preview_images = 8;  // validation images drawn in predictions_epoch_NN.jpg
  int threads = 0;         // recorded: the intra-op threads the run started with
  int world_size = 1;      // recorded: data-parallel workers (batch_size is per worker)
};

const SettingsTable<FineTuneConfig>& fine_tune_settings();

// Range checks of the table, plus those across settings (probabilities at most 1, the size a multiple of 32).
void validate(const FineTuneConfig& config);
AugmentOptions augment_options(const FineTuneConfig& config);

nlohmann::json to_json(const FineTuneConfig& config);
FineTuneConfig fine_tune_config_from_json(const nlohmann::json& json, const std::string& source);

}  // namespace tint::detect
