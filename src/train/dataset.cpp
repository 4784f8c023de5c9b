#include "tint/train/dataset.h"

#include <torch/torch.h>

#include "tint/data/preprocess.h"

namespace tint::train {

namespace {
torch::Tensor first(const torch::Tensor& images, int64_t limit) {
  return limit > 0 && limit < images.size(0) ? images.slice(0, 0, limit) : images;
}
}  // namespace

ColourData prepare(const torch::Tensor& images, const data::Palette& palette, int64_t limit) {
  ColourData d;
  d.images = first(images, limit);
  d.rgb = data::to_unit_rgb(d.images);
  d.grey = data::to_grey(d.rgb).contiguous();
  d.ids = palette.label(d.rgb);
  return d;
}

ColourData prepare(const torch::Tensor& images, const ColourTargets& targets, int64_t limit) {
  ColourData d;
  d.images = first(images, limit);
  d.grey = data::to_network_input(d.images).contiguous();
  d.ids = targets.hard_targets(d.images);
  return d;
}

}  // namespace tint::train
