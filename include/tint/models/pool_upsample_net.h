// PoolUpsampleNet (the source's Figure 1a): max-pooling halves the image twice, nearest upsampling restores it.
//   block1: Conv2d(NIC->NF),  MaxPool2d(2), BatchNorm2d(NF),  ReLU   [N, NF,  H/2, W/2]
//   block2: Conv2d(NF->2NF),  MaxPool2d(2), BatchNorm2d(2NF), ReLU   [N, 2NF, H/4, W/4]
//   block3: Conv2d(2NF->NF),  Upsample(x2), BatchNorm2d(NF),  ReLU   [N, NF,  H/2, W/2]
//   block4: Conv2d(NF->NC),   Upsample(x2), BatchNorm2d(NC),  ReLU   [N, NC,  H,   W]
//   final:  Conv2d(NC->NC)                                           [N, NC,  H,   W]
// Every convolution has stride 1 and 'same' padding.
// With --head pointwise (model_config.h) block4 keeps NF channels and final is a 1x1 Conv2d(NF->NC).
#pragma once

#include <torch/nn.h>

#include "tint/models/colour_net.h"
#include "tint/models/layers.h"

namespace tint::models {

class PoolUpsampleNetImpl : public ColourNetImpl {
 public:
  static constexpr const char* kName = "pool-upsample";  // the CLI's --model name
  explicit PoolUpsampleNetImpl(const ModelConfig& config);

  Block block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr};
  SameConv2d final{nullptr};
};
TORCH_MODULE(PoolUpsampleNet);

}  // namespace tint::models
