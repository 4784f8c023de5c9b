#include "tint/detect/augment.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

namespace tint::detect {

namespace {

float uniform(torch::Generator& g, float lo, float hi) { return lo + (hi - lo) * torch::rand({1}, g).item<float>(); }

}  // namespace

torch::Tensor rgb_to_hsv(const torch::Tensor& rgb) {
  const auto r = rgb[0], g = rgb[1], b = rgb[2];
  const auto max = std::get<0>(rgb.max(0)), min = std::get<0>(rgb.min(0));
  const auto delta = max - min;
  const auto safe = torch::where(delta > 0, delta, torch::ones_like(delta));
  // The sector formula: hue from whichever channel is largest.
  auto h = torch::where(max == r, ((g - b) / safe).remainder(6.0),
                        torch::where(max == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0));
  h = torch::where(delta > 0, h / 6.0, torch::zeros_like(h));
  const auto s =
      torch::where(max > 0, delta / torch::where(max > 0, max, torch::ones_like(max)), torch::zeros_like(max));
  return torch::stack({h, s, max});
}

torch::Tensor hsv_to_rgb(const torch::Tensor& hsv) {
  const auto h = hsv[0].remainder(1.0) * 6.0, s = hsv[1], v = hsv[2];
  // f(n) = v - v s max(0, min(k, 4 - k, 1)), k = (n + h) mod 6: the closed form of the six sectors.
  const auto channel = [&](double n) {
    const auto k = (h + n).remainder(6.0);
    return v - v * s * torch::clamp(torch::min(k, 4.0 - k), 0.0, 1.0);
  };
  return torch::stack({channel(5), channel(3), channel(1)});
}

AugmentedImage augment(const torch::Tensor& pixels, const std::vector<data::LabelledBox>& boxes,
                       const AugmentOptions& o, torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  const int64_t height = pixels.size(1), width = pixels.size(2);
  const float zoom = uniform(gen, 1 - o.scale, 1 + o.scale);
  const float shift_x = uniform(gen, -o.translate, o.translate) * width;
  const float shift_y = uniform(gen, -o.translate, o.translate) * height;
  const bool flip = uniform(gen, 0, 1) < o.flip;
  const float hue = uniform(gen, -o.hue, o.hue);
  const float sat = uniform(gen, 1 - o.saturation, 1 + o.saturation);
  const float val = uniform(gen, 1 - o.value, 1 + o.value);

  // About the centre, an input offset u lands at fx (u zoom + shift) (fx = -1 mirrors), so output u' shows input
  // (fx u' - shift) / zoom. affine_grid maps output to input in [-1, 1] units (align_corners = false: -1 and 1 are
  // the outer pixel edges), where a shift of s pixels is 2 s / side.
  const float sx = 2 * shift_x / width, sy = 2 * shift_y / height;
  const float fx = flip ? -1.0f : 1.0f;
  const auto theta = torch::tensor({fx / zoom, 0.0f, -sx / zoom, 0.0f, 1.0f / zoom, -sy / zoom}).view({1, 2, 3});
  namespace F = torch::nn::functional;
  const auto grid = F::affine_grid(theta, {1, 3, height, width}, /*align_corners=*/false);
  auto out =
      F::grid_sample((pixels - 0.5f).unsqueeze(0), grid,
                     F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false))
          .squeeze(0) +
      0.5f;

  auto hsv = rgb_to_hsv(out.clamp(0, 1));
  hsv[0].add_(hue);
  hsv[1].mul_(sat).clamp_(0, 1);
  hsv[2].mul_(val).clamp_(0, 1);
  out = hsv_to_rgb(hsv).clamp_(0, 1);

  AugmentedImage result{out, {}};
  const float cx = width / 2.0f, cy = height / 2.0f;
  for (const auto& lb : boxes) {
    const auto map_x = [&](float x) { return fx * ((x - cx) * zoom + shift_x) + cx; };
    const auto map_y = [&](float y) { return (y - cy) * zoom + shift_y + cy; };
    data::Box b{map_x(lb.box.x1), map_y(lb.box.y1), map_x(lb.box.x2), map_y(lb.box.y2)};
    if (b.x1 > b.x2) std::swap(b.x1, b.x2);
    const float full = b.area();
    data::Box cut{std::clamp(b.x1, 0.0f, float(width)), std::clamp(b.y1, 0.0f, float(height)),
                  std::clamp(b.x2, 0.0f, float(width)), std::clamp(b.y2, 0.0f, float(height))};
    if (full <= 0 || cut.area() < o.min_visible * full || cut.width() < o.min_side || cut.height() < o.min_side)
      continue;
    result.boxes.push_back({cut, lb.class_id, lb.difficult});
  }
  return result;
}

}  // namespace tint::detect
