// libFuzzer harness: arbitrary bytes through the detection label readers (data/detection_labels.h and the image
// lists of data/detection_dataset.h). The first byte picks the reader (its value mod 4: names file, YOLO labels of a
// 640 x 480 image with 80 classes, Pascal VOC XML with three class names, image list / split CSV), the rest is the
// file. Bad input must end in tint::Error; what is accepted must hold: boxes inside the image with x2 > x1 and
// y2 > y1, class ids in range, names unique and non-empty.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tint/core/error.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"

namespace {

void check_boxes(const std::vector<tint::data::LabelledBox>& boxes, int num_classes, int width, int height) {
  for (const auto& b : boxes) {
    const auto& r = b.box;
    if (!std::isfinite(r.x1) || !std::isfinite(r.y1) || !std::isfinite(r.x2) || !std::isfinite(r.y2) || r.x1 < 0 ||
        r.y1 < 0 || r.x2 > width || r.y2 > height || !(r.x2 > r.x1) || !(r.y2 > r.y1) || b.class_id < 0 ||
        b.class_id >= num_classes) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tint::data;
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const auto names = parse_names(text, "fuzz.names");
        const std::set<std::string> unique(names.begin(), names.end());
        if (names.empty() || unique.size() != names.size()) __builtin_trap();
        for (const auto& n : names) {
          if (n.empty() || std::isspace(static_cast<unsigned char>(n.front())) ||
              std::isspace(static_cast<unsigned char>(n.back()))) {
            __builtin_trap();
          }
        }
        break;
      }
      case 1:
        check_boxes(parse_yolo_labels(text, "fuzz.txt", 80, 640, 480), 80, 640, 480);
        break;
      case 2: {
        const std::vector<std::string> names = {"raccoon", "dog", "person"};
        const auto a = parse_voc_xml(text, "fuzz.xml", names);
        if (a.width <= 0 || a.height <= 0) __builtin_trap();
        check_boxes(a.objects, 3, a.width, a.height);
        // With the image's size given, the same file must agree with it or be refused.
        check_boxes(parse_voc_xml(text, "fuzz.xml", names, a.width, a.height).objects, 3, a.width, a.height);
        break;
      }
      default: {
        const auto list = parse_image_list(text, "fuzz.csv");
        std::set<std::string> seen;
        for (const auto& entry : list) {
          if (entry.name.empty() || entry.line <= 0 || !seen.insert(entry.name).second) __builtin_trap();
        }
        break;
      }
    }
  } catch (const tint::Error&) {
    // The expected outcome for malformed input.
  }
  return 0;
}
