// UNet (the source's Figure 1c): ConvTransposeNet with two skip connections.
//   block1: Conv2d(NIC->NF, stride 2),                      BatchNorm2d, ReLU   [N, NF,  H/2, W/2]  -> out1
//   block2: Conv2d(NF->2NF, stride 2),                      BatchNorm2d, ReLU   [N, 2NF, H/4, W/4]
//   block3: ConvTranspose2d(2NF->NF, stride 2),             BatchNorm2d, ReLU   [N, NF,  H/2, W/2]  -> out3
//   block4: ConvTranspose2d(cat(out3, out1): 2NF->NC),      BatchNorm2d, ReLU   [N, NC,  H,   W]    -> out4
//   final:  Conv2d(cat(out4, input): NC+NIC->NC, 'same')                        [N, NC,  H,   W]
// With --head pointwise (model_config.h) block4 keeps NF channels and final is a 1x1 Conv2d(NF+NIC->NC).
#pragma once

#include <torch/nn.h>

#include "tint/models/colour_net.h"
#include "tint/models/layers.h"

namespace tint::models {

class UNetImpl : public ColourNetImpl {
 public:
  static constexpr const char* kName = "unet";  // the CLI's --model name
  explicit UNetImpl(const ModelConfig& config);

  Block block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr};
  SameConv2d final{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace tint::models
