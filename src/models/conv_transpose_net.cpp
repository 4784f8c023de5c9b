#include "tint/models/conv_transpose_net.h"

#include <torch/torch.h>

namespace tint::models {
namespace nn = torch::nn;

Block down_block(int in, int out, int kernel) {
  return Block(halving_conv(in, out, kernel), nn::BatchNorm2d(out), nn::ReLU());
}

Block up_block(int in, int out, int kernel, int dilation) {
  return Block(doubling_conv_transpose(in, out, kernel, dilation), nn::BatchNorm2d(out), nn::ReLU());
}

ConvTransposeNetImpl::ConvTransposeNetImpl(const ModelConfig& c) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours;
  block1 = register_module("block1", down_block(nic, nf, k));
  block2 = register_module("block2", down_block(nf, 2 * nf, k));
  block3 = register_module("block3", up_block(2 * nf, nf, k, c.dilation));
  block4 = register_module("block4", up_block(nf, nc, k, c.dilation));
  final = register_module("final", SameConv2d(nc, nc, k));
}

torch::Tensor ConvTransposeNetImpl::layers(const torch::Tensor& grey) {
  TORCH_CHECK(grey.dim() == 4 && grey.size(2) % 4 == 0 && grey.size(3) % 4 == 0,
              "ConvTransposeNet expects (N, C, H, W) with H and W divisible by 4, got ", grey.sizes());
  return final(block4->forward(block3->forward(block2->forward(block1->forward(grey)))));
}

}  // namespace tint::models
