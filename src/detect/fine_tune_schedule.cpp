#include "fine_tune_schedule.h"

#include <cmath>

#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::detect {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const FineTuneConfig& c, DarknetModelImpl& model) {
  std::vector<torch::Tensor> trainable;
  for (auto& p : model.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  if (trainable.empty()) throw Error("--freeze leaves no parameter to train");
  if (c.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(trainable, torch::optim::SGDOptions(c.learning_rate)
                                                              .momentum(c.momentum)
                                                              .nesterov(c.momentum > 0)
                                                              .weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::Adam>(trainable,
                                              torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay));
}

double learning_rate_at(const FineTuneConfig& c, int64_t t, int64_t warmup, int64_t total) {
  if (t < warmup) return c.learning_rate * double(t + 1) / double(warmup);
  const double progress = total > warmup ? double(t - warmup) / double(total - warmup) : 1.0;
  return c.learning_rate * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * progress)));
}

void train_mode(DarknetModelImpl& model, int freeze) {
  model.train();
  for (int i = 0; i < std::min(freeze, model.num_layers()); ++i)
    if (auto conv = model.conv(i)) conv->eval();
}

}  // namespace tint::detect
