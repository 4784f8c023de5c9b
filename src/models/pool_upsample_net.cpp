#include "tint/models/pool_upsample_net.h"

#include <torch/torch.h>

namespace tint::models {
namespace nn = torch::nn;

namespace {
Block pool_block(int in, int out, int kernel) {
  return Block(SameConv2d(in, out, kernel), nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::BatchNorm2d(out), nn::ReLU());
}
Block upsample_block(int in, int out, int kernel) {
  return Block(SameConv2d(in, out, kernel),
               nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)),
               nn::BatchNorm2d(out), nn::ReLU());
}
}  // namespace

PoolUpsampleNetImpl::PoolUpsampleNetImpl(const ModelConfig& c) : ColourNetImpl(kName) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours;
  block1 = add_layer("block1", pool_block(nic, nf, k), {"input"});
  block2 = add_layer("block2", pool_block(nf, 2 * nf, k), {"block1"});
  block3 = add_layer("block3", upsample_block(2 * nf, nf, k), {"block2"});
  block4 = add_layer("block4", upsample_block(nf, head_channels(c), k), {"block3"});
  final = add_layer("final", SameConv2d(head_channels(c), nc, head_kernel(c)), {"block4"});
}

}  // namespace tint::models
