#include "tint/data/photo_crops.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {

torch::Tensor crop_resized(const torch::Tensor& photo, const CropWindow& w, int64_t out) {
  if (photo.dim() != 3 || photo.size(0) != 3 || photo.scalar_type() != torch::kUInt8) {
    throw Error("crop_resized: expected a (3, H, W) uint8 photo");
  }
  if (w.side <= 0 || out <= 0 || w.top < 0 || w.left < 0 || w.top + w.side > photo.size(1) ||
      w.left + w.side > photo.size(2)) {
    throw Error(fmt::format("crop window {}x{} at ({}, {}) is outside the {}x{} photo", w.side, w.side, w.top, w.left,
                            photo.size(2), photo.size(1)));
  }
  auto window = photo.slice(1, w.top, w.top + w.side).slice(2, w.left, w.left + w.side);
  if (w.flip) window = window.flip({2});
  if (w.side == out) return window.contiguous();
  namespace F = torch::nn::functional;
  auto options = w.side > out ? F::InterpolateFuncOptions().mode(torch::kArea)
                              : F::InterpolateFuncOptions().mode(torch::kBilinear).align_corners(false);
  auto resized = F::interpolate(window.unsqueeze(0).to(torch::kFloat32), options.size(std::vector<int64_t>{out, out}));
  return resized.squeeze(0).round_().clamp_(0, 255).to(torch::kUInt8);
}

bool is_grey_photo(const torch::Tensor& photo) {
  if (photo.size(0) == 1) return true;
  const auto channels = photo.to(torch::kInt16);
  const auto spread = std::get<0>(channels.max(0)) - std::get<0>(channels.min(0));
  return spread.to(torch::kFloat64).mean().item<double>() < 0.5;
}

}  // namespace tint::data
