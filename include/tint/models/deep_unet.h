// DeepUNet: the source's UNet taken two levels deeper, for photos (issue 32). The source's nets halve the image twice,
// so each output pixel sees about 20 input pixels: enough for a 32 x 32 thumbnail, a patch of sky or wall in a photo
// colourized at 128 pixels. Four halvings see about 100 pixels, most of a 128-pixel photo, with no new kind of layer
// (the analysis, the ONNX export and the fused blocks read it as they read UNet).
//   block1: Conv2d(NIC->NF, stride 2),                     BatchNorm2d, ReLU   [N, NF,  H/2,  W/2]  -> out1
//   block2: Conv2d(NF->2NF, stride 2),                     BatchNorm2d, ReLU   [N, 2NF, H/4,  W/4]  -> out2
//   block3: Conv2d(2NF->4NF, stride 2),                    BatchNorm2d, ReLU   [N, 4NF, H/8,  W/8]  -> out3
//   block4: Conv2d(4NF->8NF, stride 2),                    BatchNorm2d, ReLU   [N, 8NF, H/16, W/16]
//   block5: ConvTranspose2d(8NF->4NF, stride 2),           BatchNorm2d, ReLU   [N, 4NF, H/8,  W/8]
//   block6: ConvTranspose2d(cat(out5, out3): 8NF->2NF),    BatchNorm2d, ReLU   [N, 2NF, H/4,  W/4]
//   block7: ConvTranspose2d(cat(out6, out2): 4NF->NF),     BatchNorm2d, ReLU   [N, NF,  H/2,  W/2]
//   block8: ConvTranspose2d(cat(out7, out1): 2NF->NC|NF),  BatchNorm2d, ReLU   [N, NC|NF, H, W]
//   final:  Conv2d(cat(out8, input) -> NC), kxk with the figure's head, 1x1 with the pointwise one
// H and W must be divisible by 16 (ColourNetImpl::size_multiple).
#pragma once

#include <torch/nn.h>

#include "tint/models/colour_net.h"
#include "tint/models/layers.h"

namespace tint::models {

class DeepUNetImpl : public ColourNetImpl {
 public:
  static constexpr const char* kName = "deep-unet";  // the CLI's --model name
  explicit DeepUNetImpl(const ModelConfig& config);
  Block block1{nullptr}, block2{nullptr}, block3{nullptr}, block4{nullptr};
  Block block5{nullptr}, block6{nullptr}, block7{nullptr}, block8{nullptr};
  SameConv2d final{nullptr};
};
TORCH_MODULE(DeepUNet);

}  // namespace tint::models
