// How fine-tuning updates the weights: the optimizer over the layers that train, the learning-rate schedule, and
// the training mode of a partly frozen model. Private to src/detect (fine_tune.cpp).
#pragma once

#include <cstdint>
#include <memory>

#include <torch/optim/optimizer.h>

#include "tint/detect/darknet_model.h"
#include "tint/detect/fine_tune_config.h"

namespace tint::detect {

// SGD (Nesterov momentum) or Adam over the parameters that still require gradients (--freeze leaves the rest).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const FineTuneConfig& c, DarknetModelImpl& model);

// The learning rate at global step t of `total`: a linear warm-up over `warmup` steps, then a half cosine from the
// peak to a tenth of it (YOLOv5's one-cycle ends at lrf = 0.1 likewise).
double learning_rate_at(const FineTuneConfig& c, int64_t t, int64_t warmup, int64_t total);

// Training mode, except the frozen layers' batchnorms: in train mode their statistics would drift to the new data
// while their scales and shifts stay fixed.
void train_mode(DarknetModelImpl& model, int freeze);

}  // namespace tint::detect
