// Detection datasets on disk: images and their boxes, in the three layouts tint reads (data/detection_labels.h and
// data/coco_json.h have the label formats):
//   YOLO  DIR/images/ and DIR/labels/, parallel trees: images/a/b.jpg is labelled by labels/a/b.txt, and an image
//         without a label file has no objects (COCO128, Ultralytics' layout);
//   VOC   DIR/images/ and DIR/annotations/: images/a/b.jpg is labelled by annotations/a/b.xml, which must exist
//         (the raccoon set);
//   COCO  DIR/images/ and one instances JSON, DIR/annotations/instances.json (or a file given as
//         DetectionDatasetOptions::coco_json): each of its images' file_name is a path under images/ (or a bare file
//         name found once there), every image under images/ must be listed, and its width and height must be the
//         image's.
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

enum class LabelFormat { Yolo, Voc, Coco };
const char* to_string(LabelFormat format);  // "YOLO", "Pascal VOC", "COCO JSON"

struct DetectionImage {
  std::filesystem::path path;        // the image file
  std::filesystem::path label_path;  // its label file (YOLO: absent when the image has no objects; COCO: the JSON)
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
  // The COCO instances JSON to read the boxes from (the COCO layout); empty: DIR/annotations/instances.json when it
  // exists.
  std::filesystem::path coco_json;
};

// The COCO JSON a dataset read with `options` takes its boxes from; empty for the YOLO and VOC layouts.
std::filesystem::path coco_json_of(const std::filesystem::path& dir, const DetectionDatasetOptions& options = {});

// The names file a dataset carries, if any: DIR/classes.names (what `tint detect convert` writes), else
// DIR/labels/classes.txt (labelImg's); empty when there is neither.
std::filesystem::path dataset_names_file(const std::filesystem::path& dir);

// Reads the layout found in `dir`, with class ids indexing `names`. Each image's size comes from its header
// (data/image_size.h). A COCO dataset's class ids are its categories' positions: `names` may be empty (the
// categories' names are used), else it must have as many entries. Throws tint::Error naming the file (and line, XML
// element or JSON array element) at fault.
DetectionDataset read_detection_dataset(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                        const DetectionDatasetOptions& options = {});

// What write_detection_dataset did.
struct WrittenDataset {
  int64_t images = 0, objects = 0;
  int64_t linked = 0;  // images hard-linked (the others were copied: another file system, or links refused)
};

// Writes `dataset` at `out` in `format`: images/ with the same paths (each hard-linked to the original, or copied
// where a link cannot be made), the labels (YOLO: labels/*.txt, none for an image without objects, the "difficult"
// flag dropped as YOLO has none; VOC: annotations/*.xml; COCO: annotations/instances.json) and classes.names (the
// dataset's names). `out` must not exist or be an empty folder. Everything is written into a temporary folder beside
// `out` and renamed to `out` at the end, so a failure leaves no half-written dataset. Throws tint::Error naming the
// file at fault.
WrittenDataset write_detection_dataset(const DetectionDataset& dataset, const std::filesystem::path& out,
                                       LabelFormat format);

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
