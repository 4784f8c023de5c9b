// ConvTransposeNet (the source's Figure 1b): strided convolutions downsample, transposed convolutions upsample.
//   block1: Conv2d(NIC->NF, stride 2),           BatchNorm2d(NF),  ReLU   [N, NF,  H/2, W/2]
//   block2: Conv2d(NF->2NF, stride 2),           BatchNorm2d(2NF), ReLU   [N, 2NF, H/4, W/4]
//   block3: ConvTranspose2d(2NF->NF, stride 2),  BatchNorm2d(NF),  ReLU   [N, NF,  H/2, W/2]
//   block4: ConvTranspose2d(NF->NC, stride 2),   BatchNorm2d(NC),  ReLU   [N, NC,  H,   W]
//   final:  Conv2d(NC->NC, 'same')                                        [N, NC,  H,   W]
// With --head pointwise (model_config.h) block4 keeps NF channels and final is a 1x1 Conv2d(NF->NC).
// Paddings come from models/padding.h (kernel 3: padding 1, output_padding 1, as the text prescribes).
#pragma once

#include <torch/nn.h>

#include "tint/models/colour_net.h"
#include "tint/models/layers.h"

namespace tint::models {

class ConvTransposeNetImpl : public ColourNetImpl {
 public:
  static constexpr const char* kName = "conv-transpose";  // the CLI's --model name
  explicit ConvTransposeNetImpl(const ModelConfig& config);

  Block block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr};
  SameConv2d final{nullptr};
};
TORCH_MODULE(ConvTransposeNet);

// The four blocks are shared with UNet, which only changes what flows into block4 and final.
Block down_block(int in, int out, int kernel);
Block up_block(int in, int out, int kernel, int dilation);

}  // namespace tint::models
