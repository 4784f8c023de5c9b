// COCO "instances" JSON (the object-detection annotations of COCO and of most labelling tools' COCO export):
//   {"images": [{"id", "file_name", "width", "height"}, ...],
//    "annotations": [{"id", "image_id", "category_id", "bbox": [x, y, w, h], "iscrowd"}, ...],
//    "categories": [{"id", "name"}, ...]}
// bbox is in pixels, (x, y) the top-left corner: tint's continuous corners x1 = x, x2 = x + w (data/boxes.h). Category
// ids (any integers, COCO's own skip some) map to contiguous class ids in the order of the categories array;
// `iscrowd` 1 (a crowd region) reads as tint's "difficult": neither a miss nor a match. Other keys (segmentation,
// area, info, licenses...) are passed over. The reader refuses what it cannot read exactly, naming the file and the
// array element: a missing key or one of the wrong type, an id given twice, an annotation whose image_id or
// category_id is not listed, a bbox of a non-positive width or height or reaching outside its image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tint/data/boxes.h"
#include "tint/data/detection_dataset.h"

namespace tint::data {

struct CocoImage {
  int64_t id = 0;
  std::string file_name;  // as written: a path relative to the images folder ('/'), usually a bare name
  int width = 0, height = 0;
  std::vector<LabelledBox> objects;  // in pixels, clipped to the image; class ids index CocoAnnotations::names
};

struct CocoAnnotations {
  std::vector<std::string> names;  // the categories' names, in array order: class id -> name
  std::vector<CocoImage> images;   // in array order
};

// How far a bbox may reach past its image's edge, in pixels, before it is refused (COCO's own boxes overshoot by
// float rounding); one within the slack is clipped.
inline constexpr double kCocoEdgeSlack = 0.5;

// Parses instances JSON; `name` is used in errors ("instances.json: annotations[3] (id 7): ...").
CocoAnnotations parse_coco_json(std::string_view text, const std::string& name);
CocoAnnotations read_coco_json(const std::filesystem::path& file);

// The dataset's annotations as instances JSON: images with ids 1.. in dataset order (file_name: the path under
// images/, with '/'), annotations with ids 1.. (bbox [x1, y1, x2 - x1, y2 - y1] rounded to 1/1000 pixel, area w x h,
// iscrowd = difficult), categories with ids 1.. in names order (ids as COCO numbers them, from 1).
std::string format_coco_json(const DetectionDataset& dataset);

}  // namespace tint::data
