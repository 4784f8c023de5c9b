#include "tint/models/pool_upsample_net.h"

#include <torch/torch.h>

namespace tint::models {
namespace nn = torch::nn;

namespace {
Block pool_block(int in, int out, int kernel) {
  return Block(SameConv2d(in, out, kernel), nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::BatchNorm2d(out),
                        nn::ReLU());
}
Block upsample_block(int in, int out, int kernel) {
  return Block(SameConv2d(in, out, kernel),
                        nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)),
                        nn::BatchNorm2d(out), nn::ReLU());
}
}  // namespace

PoolUpsampleNetImpl::PoolUpsampleNetImpl(const ModelConfig& c) {
  validate(c);
  const int k = c.kernel, nic = c.num_in_channels, nf = c.num_filters, nc = c.num_colours;
  block1 = register_module("block1", pool_block(nic, nf, k));
  block2 = register_module("block2", pool_block(nf, 2 * nf, k));
  block3 = register_module("block3", upsample_block(2 * nf, nf, k));
  block4 = register_module("block4", upsample_block(nf, nc, k));
  final = register_module("final", SameConv2d(nc, nc, k));
}

torch::Tensor PoolUpsampleNetImpl::layers(const torch::Tensor& grey) {
  TORCH_CHECK(grey.dim() == 4 && grey.size(2) % 4 == 0 && grey.size(3) % 4 == 0,
              "PoolUpsampleNet expects (N, C, H, W) with H and W divisible by 4, got ", grey.sizes());
  return final(block4->forward(block3->forward(block2->forward(block1->forward(grey)))));
}

}  // namespace tint::models
