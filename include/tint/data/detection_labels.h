// Detection label files, read into data::LabelledBox in pixels:
//   names files   one class name per line, the line index is the class id (darknet's coco.names);
//   YOLO labels   one object per line: `class cx cy w h`, the centre and size normalised to [0, 1] by the image's
//                 width and height (darknet / Ultralytics); an image without a label file has no objects;
//   Pascal VOC    an XML <annotation> with <size> and one <object> per box: <name>, <difficult>, and <bndbox> with
//                 xmin, ymin, xmax, ymax in VOC's pixel convention, 1-based and inclusive: xmin = 1, xmax = 10 covers
//                 the first ten columns. tint's boxes have continuous corners (data/boxes.h), so that box becomes
//                 x1 = xmin - 1 = 0, x2 = xmax = 10 (as detectron2's VOC reader converts).
// Every reader refuses what it cannot read exactly, naming the file and the line (or the XML element and its line)
// and saying what was expected: an unknown class name, a class id out of range, a malformed or non-finite number, a
// box reaching outside the image or with x2 <= x1 (y2 <= y1).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tint/data/boxes.h"

namespace tint::data {

// A names file: one class name per line (surrounding spaces and a trailing CR removed), index = class id. Blank
// lines may end the file but not sit between names (the ids after them would be ambiguous); names must be unique.
std::vector<std::string> parse_names(std::string_view text, const std::string& name);
std::vector<std::string> read_names(const std::filesystem::path& file);

// How far a YOLO box may reach past the image's edge, as a fraction of its side, before it is refused: label files
// hold 6 decimals or fewer, so a box touching the edge can overshoot by rounding (COCO128 by up to 5e-7). A box
// within the slack is clipped to the image.
inline constexpr double kYoloEdgeSlack = 1e-4;

// YOLO labels of an image `width` x `height` pixels, with class ids below `num_classes`. `name` is used in errors.
std::vector<LabelledBox> parse_yolo_labels(std::string_view text, const std::string& name, int num_classes, int width,
                                           int height);
// The label file of an image; a file that does not exist means the image has no objects (as in COCO128).
std::vector<LabelledBox> read_yolo_labels(const std::filesystem::path& file, int num_classes, int width, int height);

// YOLO label text of `boxes` in an image `width` x `height` pixels: one line `class cx cy w h` per box, normalised,
// with 6 decimals (as darknet's voc_label.py and Ultralytics write), each box clipped to the image first; a box whose
// side rounds to 0 is written as 0.000001 so that parse_yolo_labels reads every line back. YOLO has no "difficult"
// flag: it is dropped. parse_yolo_labels(format_yolo_labels(b)) gives b within 0.5e-6 of each side.
std::string format_yolo_labels(const std::vector<LabelledBox>& boxes, int width, int height);

// One Pascal VOC annotation file.
struct VocAnnotation {
  std::string filename;  // <filename>, as written (may be empty)
  int width = 0;         // <size>: the image's size in pixels
  int height = 0;
  std::vector<LabelledBox> objects;  // class ids index `names`
};

// Parses VOC XML. `names` maps <object><name> to class ids. When `width` and `height` are given (> 0, the image's
// real size) a <size> in the file must agree with them and may be absent or 0; otherwise <size> is required.
VocAnnotation parse_voc_xml(std::string_view xml, const std::string& name, const std::vector<std::string>& names,
                            int width = 0, int height = 0);
VocAnnotation read_voc_xml(const std::filesystem::path& file, const std::vector<std::string>& names, int width = 0,
                           int height = 0);

// A Pascal VOC annotation of `a` (its filename, size and objects; class ids index `names`, XML-escaped), as labelImg
// writes one. Coordinates are VOC's integers, 1-based and inclusive: each corner is rounded to the nearest pixel
// boundary (xmin = round(x1) + 1, xmax = round(x2), clipped to the image, at least one pixel wide and high), so a
// box read back moves by at most 0.5 pixel per side (a box under one pixel grows to one).
std::string format_voc_xml(const VocAnnotation& a, const std::vector<std::string>& names);

}  // namespace tint::data
