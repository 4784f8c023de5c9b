// libFuzzer harness: arbitrary bytes through the COCO instances JSON reader (data/coco_json.h, parse_coco_json). Bad
// input must end in tint::Error; what is accepted must hold: at least one class, names unique and non-empty, image
// ids and file names unique, sizes positive, every box inside its image with x2 > x1 and y2 > y1 and a class id in
// range. What is accepted must also survive format_coco_json and read back with the same boxes (within the 1/1000
// pixel the writer rounds to).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "tint/core/error.h"
#include "tint/data/coco_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tint::data;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CocoAnnotations coco;
  try {
    coco = parse_coco_json(text, "fuzz.json");
  } catch (const tint::Error&) {
    return 0;  // the expected outcome for malformed input
  }
  const int num_classes = static_cast<int>(coco.names.size());
  const std::set<std::string> names(coco.names.begin(), coco.names.end());
  if (num_classes == 0 || names.size() != coco.names.size() || names.count("")) __builtin_trap();
  std::set<int64_t> ids;
  std::set<std::string> files;
  DetectionDataset dataset;
  dataset.dir = "fuzz";
  dataset.format = LabelFormat::Coco;
  dataset.names = coco.names;
  for (const auto& image : coco.images) {
    if (!ids.insert(image.id).second || !files.insert(image.file_name).second || image.file_name.empty() ||
        image.width <= 0 || image.height <= 0) {
      __builtin_trap();
    }
    for (const auto& b : image.objects) {
      const auto& r = b.box;
      if (!std::isfinite(r.x1) || !std::isfinite(r.y1) || !std::isfinite(r.x2) || !std::isfinite(r.y2) || r.x1 < 0 ||
          r.y1 < 0 || r.x2 > image.width || r.y2 > image.height || !(r.x2 > r.x1) || !(r.y2 > r.y1) || b.class_id < 0 ||
          b.class_id >= num_classes) {
        __builtin_trap();
      }
    }
    DetectionImage record;
    record.path = dataset.dir / "images" / std::to_string(image.id);
    record.width = image.width;
    record.height = image.height;
    record.objects = image.objects;
    dataset.images.push_back(record);
  }
  // Written and read back: a box rounded to 1/1000 pixel may shrink to nothing (refused, a tint::Error); otherwise
  // the same images and boxes.
  try {
    const auto again = parse_coco_json(format_coco_json(dataset), "round-trip.json");
    if (again.names != coco.names || again.images.size() != coco.images.size()) __builtin_trap();
    for (size_t i = 0; i < again.images.size(); ++i) {
      const auto &a = again.images[i].objects, &b = coco.images[i].objects;
      if (a.size() != b.size()) __builtin_trap();
      for (size_t k = 0; k < a.size(); ++k) {
        const double tolerance = 2e-3 + 1e-6 * std::max(coco.images[i].width, coco.images[i].height);
        if (a[k].class_id != b[k].class_id || a[k].difficult != b[k].difficult ||
            std::abs(a[k].box.x1 - b[k].box.x1) > tolerance || std::abs(a[k].box.x2 - b[k].box.x2) > tolerance ||
            std::abs(a[k].box.y1 - b[k].box.y1) > tolerance || std::abs(a[k].box.y2 - b[k].box.y2) > tolerance) {
          __builtin_trap();
        }
      }
    }
  } catch (const tint::Error&) {}
  return 0;
}
