#include "tint/models/deep_unet.h"

#include <torch/torch.h>

#include "tint/models/conv_transpose_net.h"

namespace tint::models {

DeepUNetImpl::DeepUNetImpl(const ModelConfig& c) : ColourNetImpl(kName, /*size_multiple=*/16) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours, d = c.dilation;
  block1 = add_layer("block1", down_block(nic, nf, k), {"input"});
  block2 = add_layer("block2", down_block(nf, 2 * nf, k), {"block1"});
  block3 = add_layer("block3", down_block(2 * nf, 4 * nf, k), {"block2"});
  block4 = add_layer("block4", down_block(4 * nf, 8 * nf, k), {"block3"});
  block5 = add_layer("block5", up_block(8 * nf, 4 * nf, k, d), {"block4"});
  block6 = add_layer("block6", up_block(8 * nf, 2 * nf, k, d), {"block5", "block3"});                       // skip
  block7 = add_layer("block7", up_block(4 * nf, nf, k, d), {"block6", "block2"});                           // skip
  block8 = add_layer("block8", up_block(2 * nf, head_channels(c), k, d), {"block7", "block1"});             // skip
  final = add_layer("final", SameConv2d(head_channels(c) + nic, nc, head_kernel(c)), {"block8", "input"});  // + input
}

}  // namespace tint::models
