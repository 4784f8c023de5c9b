// An image's size without decoding its pixels, for datasets that need every image's width and height up front (YOLO
// labels are normalised by them) but decode the pixels only when training or evaluating reaches them.
#pragma once

#include <filesystem>
#include <string>

namespace tint::data {

struct ImageSize {
  int width = 0;
  int height = 0;
};

// The size read_image would return, as shown (a JPEG's EXIF orientation 5-8 swaps width and height): from the JPEG
// frame header or the PNG IHDR chunk; other files, or headers this reader does not follow, are decoded in full.
// Only the header is checked: a file whose pixels are damaged is refused when it is decoded. Throws tint::Error
// naming the file when it cannot be read or is not an image.
ImageSize read_image_size(const std::filesystem::path& path);

// The same for bytes held in memory; `name` is used in errors.
ImageSize image_size_of(const std::string& bytes, const std::string& name);

}  // namespace tint::data
