#include "tint/detect/darknet_generated_weights.h"

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace tint::detect {

void fill_generated_weights(DarknetModelImpl& model, uint64_t seed) {
  // A generator of its own: the values depend on the cfg and the seed only, not on what ran before.
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  for (int i = 0; i < model.num_layers(); ++i) {
    const DarknetConv conv = model.conv(i);
    if (!conv) continue;
    auto& weight = conv->conv->weight;
    const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
    weight.normal_(0, std::sqrt((conv->bn ? 2.0 : 1.0) / fan_in), generator);
    if (conv->bn) {
      conv->bn->weight.uniform_(0.8, 1.2, generator);
      conv->bn->bias.uniform_(-0.1, 0.1, generator);
      conv->bn->running_mean.uniform_(-0.1, 0.1, generator);
      conv->bn->running_var.uniform_(0.5, 1.5, generator);
    } else {
      conv->conv->bias.uniform_(-0.5, 0.5, generator);
    }
  }
}

}  // namespace tint::detect
