// Detection datasets on disk: images and their boxes, in the two layouts tint reads (data/detection_labels.h has the
// label formats):
//   YOLO  DIR/images/ and DIR/labels/, parallel trees: images/a/b.jpg is labelled by labels/a/b.txt, and an image
//         without a label file has no objects (COCO128, Ultralytics' layout);
//   VOC   DIR/images/ and DIR/annotations/: images/a/b.jpg is labelled by annotations/a/b.xml, which must exist
//         (the raccoon set).
// Images are the files under images/ with an extension read_image decodes (.jpg, .jpeg, .png, .webp); other files
// there are not images and are passed over. A label file without an image is refused (a misnamed image would
// otherwise lose its boxes), except a `classes.txt` at the top of labels/ (labelImg writes the names there).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tint/data/boxes.h"

namespace tint::data {

enum class LabelFormat { Yolo, Voc };
const char* to_string(LabelFormat format);  // "YOLO", "Pascal VOC"

struct DetectionImage {
  std::filesystem::path path;        // the image file
  std::filesystem::path label_path;  // its label file (YOLO: absent when the image has no objects)
  int width = 0;                     // as shown (after EXIF orientation), as read_image returns it
  int height = 0;
  std::vector<LabelledBox> objects;  // in pixels of that image
};

struct DetectionDataset {
  std::filesystem::path dir;
  LabelFormat format = LabelFormat::Yolo;
  std::vector<std::string> names;      // class id -> name
  std::vector<DetectionImage> images;  // in order of their paths under images/
  int64_t num_objects() const;
};

struct DetectionDatasetOptions {
  // When set, only the images this file lists (read_image_list), in dataset order; a listed name that matches no
  // image is refused, naming the list's line.
  std::filesystem::path image_list;
};

// Reads the layout found in `dir`, with class ids indexing `names`. Each image's size comes from its header
// (data/image_size.h). Throws tint::Error naming the file (and line or XML element) at fault.
DetectionDataset read_detection_dataset(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                        const DetectionDatasetOptions& options = {});

// One image named by a list file, with the line that named it first.
struct ImageListEntry {
  std::string name;
  int line = 0;
};

// The images a list names, each once, in order of first appearance. Either a CSV whose header row has a `filename`
// column (the raccoon author's train_labels.csv / test_labels.csv: one row per box, so a name repeats), or one name
// per line. A name is an image's path under images/ (with '/') or its bare file name.
std::vector<ImageListEntry> parse_image_list(std::string_view text, const std::string& name);
std::vector<ImageListEntry> read_image_list(const std::filesystem::path& file);

}  // namespace tint::data
