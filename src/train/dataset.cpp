#include "tint/train/dataset.h"

#include <torch/torch.h>

#include "tint/data/preprocess.h"

namespace tint::train {

ColourData prepare(const torch::Tensor& images, const data::Palette& palette, int64_t limit) {
  auto kept = limit > 0 && limit < images.size(0) ? images.slice(0, 0, limit) : images;
  ColourData d;
  d.rgb = data::to_unit_rgb(kept);
  d.grey = data::to_grey(d.rgb).contiguous();
  d.ids = palette.label(d.rgb);
  return d;
}

}  // namespace tint::train
