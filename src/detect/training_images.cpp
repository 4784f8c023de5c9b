#include "training_images.h"

#include "tint/data/image_io.h"
#include "tint/data/preprocess.h"
#include "tint/detect/network_input.h"

namespace tint::detect {

std::vector<CachedImage> cache_images(const data::DetectionDataset& set, int side, Resample resample,
                                      const std::function<void(int64_t, int64_t)>& progress) {
  std::vector<CachedImage> images;
  for (const auto& image : set.images) {
    const auto in = network_input(data::read_image(image.path), side, side, ResizeMode::stretch, resample);
    CachedImage c{data::to_bytes(in.pixels), {}};
    for (auto b : image.objects) {
      b.box = {b.box.x1 * in.placement.scale_x, b.box.y1 * in.placement.scale_y, b.box.x2 * in.placement.scale_x,
               b.box.y2 * in.placement.scale_y};
      c.boxes.push_back(b);
    }
    images.push_back(std::move(c));
    if (progress) progress(int64_t(images.size()), int64_t(set.images.size()));
  }
  return images;
}

}  // namespace tint::detect
