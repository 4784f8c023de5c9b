#include "tint/models/unet.h"

#include <torch/torch.h>

#include "tint/models/conv_transpose_net.h"

namespace tint::models {

UNetImpl::UNetImpl(const ModelConfig& c) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours;
  block1 = register_module("block1", down_block(nic, nf, k));
  block2 = register_module("block2", down_block(nf, 2 * nf, k));
  block3 = register_module("block3", up_block(2 * nf, nf, k, c.dilation));
  block4 = register_module("block4", up_block(2 * nf, nc, k, c.dilation));
  final = register_module("final", SameConv2d(nc + nic, nc, k));
}

torch::Tensor UNetImpl::layers(const torch::Tensor& grey) {
  TORCH_CHECK(grey.dim() == 4 && grey.size(2) % 4 == 0 && grey.size(3) % 4 == 0,
              "UNet expects (N, C, H, W) with H and W divisible by 4, got ", grey.sizes());
  auto out1 = block1->forward(grey);                                   // (N, NF, H/2, W/2)
  auto out3 = block3->forward(block2->forward(out1));                  // (N, NF, H/2, W/2)
  auto out4 = block4->forward(torch::cat({out3, out1}, /*dim=*/1));    // (N, NC, H, W)
  // grey in out4's precision: under bf16 autocast a float32 grey would make the concatenation float32, only for the
  // convolution to convert it back (a fifth of a bf16 step).
  return final(torch::cat({out4, grey.to(out4.scalar_type())}, /*dim=*/1));  // (N, NC, H, W)
}

}  // namespace tint::models
