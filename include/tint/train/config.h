// Everything that defines a training run, and its settings table (train_settings()): each setting's flag, JSON key,
// range and help are written once there, and `tint train` / `sweep` / `compare` flags, config.json and sweeps all
// read it. Saved as config.json in the run directory; a run is reproducible from it.
// To add a setting: a field here, one row in train_settings() (src/train/config.cpp), and its use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <c10/core/MemoryFormat.h>
#include <nlohmann/json_fwd.hpp>

#include "tint/core/settings.h"
#include "tint/data/ab_bins.h"
#include "tint/models/model_config.h"
#include "tint/train/colour_targets.h"

namespace tint::train {

struct TrainConfig {
  // Defaults are the source's: ConvTransposeNet, kernel 3, 32 filters, 24 colours, Adam 0.001, batch 100, 25 epochs.
  std::string model = "conv-transpose";
  // The network's settings. Its head starts as "auto": figure for palette targets (the source's network, its numbers
  // unchanged), pointwise for ab-bins (the figure's NC -> NC kxk final layer costs 7x the epoch with 244 bins);
  // resolve_head() decides it when a run starts, and config.json records the head the run trained.
  models::ModelConfig net = [] {
    models::ModelConfig m;
    m.head = "auto";
    return m;
  }();
  double learning_rate = 0.001;
  double weight_decay = 0.0;  // Adam's L2 penalty (0: none, the source)
  int batch_size = 100;
  int epochs = 25;
  uint64_t seed = 0;
  std::string category = "horse";  // a class name or index, or "all" (every class)
  // Photos instead of CIFAR-10 (train/photo_set.h): a folder of colour photos, trained on as random crop x crop squares
  // of the photos shrunk to shorter side photo_side (times a jitter), crops_per_photo per photo per epoch, with
  // every 1/val_fraction-th photo held out. Empty: CIFAR-10's category.
  std::filesystem::path images_dir;
  int crop = 64;
  int photo_side = 128;
  int crops_per_photo = 8;
  double scale_jitter = 1.25;
  double val_fraction = 0.1;
  // The source kept the training order fixed; tint reshuffles every epoch (seeded by seed and epoch) unless false.
  bool shuffle = true;
  int64_t train_limit = 0;             // use only the first N training images (0 = all)
  int64_t val_limit = 0;               // use only the first N validation images (0 = all)
  std::filesystem::path palette_file;  // reuse this palette.json instead of fitting one (empty = fit)
  int kmeans_iterations = 300;
  // What the network's NC logits mean (colour_targets.h). palette: the source's K RGB colours, each pixel's target
  // its nearest one. ab-bins (Zhang, Isola and Efros 2016): CIELAB ab on a grid of 10, the bins that occur in the
  // training images; NC becomes their count, the input stays the source's grey, the prediction's ab is recombined
  // with the image's own lightness. config.json spells it "palette" or "ab-bins".
  ColourTarget target = ColourTarget::palette;
  double soft_targets = 0.0;  // ab-bins: sigma (ab units) of soft targets over the 5 nearest bins; 0 = hard targets
  double rebalance = 0.0;     // ab-bins: lambda of class rebalancing (data/ab_bins.h); 0 = off, 0.5 = Zhang's
  // ab-bins: how the sample figures and the per-epoch colour metrics turn a predicted distribution into one ab
  // (`tint evaluate` and `tint colourize` default to it): mode, mean or annealed (softmax(logits / T), Zhang's 0.38).
  std::string decode = "annealed";
  double temperature = 0.38;
  int sample_count = 10;  // validation images shown in samples_epoch_NN.png
  // "fp32", or "bf16": forward passes under CPU autocast to bfloat16 (weights, optimizer state and loss stay fp32).
  std::string precision = "fp32";
  // "channels-last" (NHWC, oneDNN's native layout: the faster one here) or "contiguous" (NCHW, LibTorch's default).
  std::string memory_format = "channels-last";
  // The intra-op threads the run started with: recorded, not a setting (a resumed run keeps its own --threads). The
  // convolutions' sums depend on the thread count, so a resume with another count differs from an uninterrupted run
  // in the last digits, and `tint train --resume` warns. 0: not recorded (runs made before it was).
  int threads = 0;
  // Data-parallel training: the workers the run uses (recorded; --batch-size is per worker, the global batch is
  // world_size times it), and whether batchnorm uses the global batch's statistics (as one process with the global
  // batch would) or each worker's own (DDP's default, no extra communication).
  int world_size = 1;
  bool sync_batchnorm = false;
};

// Every setting of a run: the model's (models::model_settings(), lifted), then training's, in help order.
const SettingsTable<TrainConfig>& train_settings();

// The memory format `config.memory_format` names.
c10::MemoryFormat memory_format(const TrainConfig& config);

// Throws tint::Error naming the flag of the first setting outside its range (batch 0, learning rate <= 0, ...).
void validate(const TrainConfig& config);

// Settings whose value `config`'s target cannot use (their rows say which targets they apply to, for_targets()):
// --soft-targets and --rebalance need --target ab-bins, --palette needs --target palette. Throws tint::Error naming
// the flag. Separate from validate() so that `tint sweep rebalance` can check each value on its own; train() calls
// both. `tint train` also refuses the flags a target cannot use when they are given (--num-colours with ab-bins,
// --decode and --temperature with palette): check_applicable() with the flags given.
void check_target_settings(const TrainConfig& config);

// The crop settings of a photo run.
struct PhotoCropSettings;
PhotoCropSettings photo_crop_settings(const TrainConfig& config);

// The ab decoding `config.decode` and `config.temperature` name.
// Replaces head "auto" by the head its target trains (see TrainConfig::net); an explicit head stays as it is.
void resolve_head(TrainConfig& config);
// The network `config` builds: its net settings with the head resolved.
models::ModelConfig network_config(const TrainConfig& config);

data::AbDecoding ab_decoding(const TrainConfig& config);

nlohmann::json to_json(const TrainConfig& config);
// `source` names the file for error messages; unknown keys are refused so that typos do not pass silently.
TrainConfig config_from_json(const nlohmann::json& json, const std::string& source);

}  // namespace tint::train
