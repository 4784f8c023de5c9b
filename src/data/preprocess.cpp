#include "tint/data/preprocess.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {

torch::Tensor to_unit_rgb(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "to_unit_rgb expects (N, 3, H, W), got ", images.sizes());
  return images.to(torch::kFloat32).div_(256.0f);
}

torch::Tensor to_grey(const torch::Tensor& rgb) {
  TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "to_grey expects (N, 3, H, W), got ", rgb.sizes());
  return rgb.mean(/*dim=*/1, /*keepdim=*/true);
}

torch::Tensor to_network_input(const torch::Tensor& pixels) {
  TORCH_CHECK(pixels.dim() == 4 && (pixels.size(1) == 1 || pixels.size(1) == 3),
              "to_network_input expects (N, 1 or 3, H, W), got ", pixels.sizes());
  return to_grey(to_unit_rgb(pixels.size(1) == 1 ? pixels.expand({-1, 3, -1, -1}) : pixels));
}

torch::Tensor seeded_permutation(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64));
}

}  // namespace tint::data
