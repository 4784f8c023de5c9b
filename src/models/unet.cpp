#include "tint/models/unet.h"

#include <torch/torch.h>

#include "tint/models/conv_transpose_net.h"

namespace tint::models {

UNetImpl::UNetImpl(const ModelConfig& c) : ColourNetImpl(kName) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours;
  block1 = add_layer("block1", down_block(nic, nf, k), {"input"});
  block2 = add_layer("block2", down_block(nf, 2 * nf, k), {"block1"});
  block3 = add_layer("block3", up_block(2 * nf, nf, k, c.dilation), {"block2"});
  block4 = add_layer("block4", up_block(2 * nf, head_channels(c), k, c.dilation), {"block3", "block1"});    // skip
  final = add_layer("final", SameConv2d(head_channels(c) + nic, nc, head_kernel(c)), {"block4", "input"});  // + input
}

}  // namespace tint::models
