// Pascal VOC annotation files (data/detection_labels.h), parsed with pugixml. Errors give the line of the element at
// fault, from pugixml's byte offsets into the text.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/core.h>
#include <pugixml.hpp>

#include "label_text.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/markup_escape.h"
#include "tint/data/detection_labels.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

class VocReader {
 public:
  VocReader(std::string_view xml, const std::string& name) : xml_(xml), name_(name) {}

  // "<name>:<line>" of a node.
  std::string where(const pugi::xml_node& node) const {
    return fmt::format("{}:{}", name_, label_text::line_of(xml_, node.offset_debug()));
  }

  // The text of the child element `child` of `parent`, trimmed; refuses a missing one.
  std::string_view required_text(const pugi::xml_node& parent, const char* child, const char* path) const {
    const auto node = parent.child(child);
    if (!node) throw Error(fmt::format("{}: <{}> has no <{}>; expected {}", where(parent), parent.name(), child, path));
    return label_text::trim(node.child_value());
  }

  int integer(const pugi::xml_node& parent, const char* child, const char* path) const {
    const auto text = required_text(parent, child, path);
    int value = 0;
    if (!label_text::parse_int(text, value)) {
      throw Error(fmt::format("{}: <{}> '{}' is not an integer", where(parent.child(child)), path, text));
    }
    return value;
  }

  double real(const pugi::xml_node& parent, const char* child, const char* path) const {
    const auto text = required_text(parent, child, path);
    double value = 0;
    if (!label_text::parse_real(text, value) || !std::isfinite(value)) {
      throw Error(fmt::format("{}: <{}> '{}' is not a finite number", where(parent.child(child)), path, text));
    }
    return value;
  }

 private:
  std::string_view xml_;
  const std::string& name_;
};

}  // namespace

VocAnnotation parse_voc_xml(std::string_view xml, const std::string& name, const std::vector<std::string>& names,
                            int width, int height) {
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    throw Error(fmt::format("{}:{}: not well-formed XML: {}", name, label_text::line_of(xml, parsed.offset),
                            parsed.description()));
  }
  const VocReader r(xml, name);
  const auto root = doc.child("annotation");
  if (!root) throw Error(fmt::format("{}: no <annotation> element; expected a Pascal VOC annotation", name));

  VocAnnotation a;
  a.filename = std::string(label_text::trim(root.child_value("filename")));
  const bool image_size_given = width > 0 && height > 0;
  if (const auto size = root.child("size")) {
    a.width = r.integer(size, "width", "size/width");
    a.height = r.integer(size, "height", "size/height");
    const bool declared = a.width != 0 || a.height != 0;  // 0 x 0: some tools write it when they did not look
    if (declared && (a.width <= 0 || a.height <= 0)) {
      throw Error(
          fmt::format("{}: <size> {} x {}: expected a positive width and height", r.where(size), a.width, a.height));
    }
    if (declared && image_size_given && (a.width != width || a.height != height)) {
      throw Error(fmt::format("{}: <size> says {} x {} but the image is {} x {}", r.where(size), a.width, a.height,
                              width, height));
    }
  } else if (!image_size_given) {
    throw Error(fmt::format("{}: <annotation> has no <size>; expected size/width and size/height", r.where(root)));
  }
  if (image_size_given) {
    a.width = width;
    a.height = height;
  } else if (a.width == 0) {
    throw Error(fmt::format("{}: <size> is 0 x 0; expected the image's width and height", r.where(root.child("size"))));
  }

  for (const auto object : root.children("object")) {
    const auto class_name = r.required_text(object, "name", "object/name");
    LabelledBox box;
    const auto it = std::find(names.begin(), names.end(), class_name);
    if (it == names.end()) {
      throw Error(fmt::format("{}: object/name '{}' is not in the names list ({} classes, first '{}')",
                              r.where(object.child("name")), class_name, names.size(),
                              names.empty() ? "" : names.front()));
    }
    box.class_id = static_cast<int>(it - names.begin());
    if (object.child("difficult")) {
      const int difficult = r.integer(object, "difficult", "object/difficult");
      if (difficult != 0 && difficult != 1) {
        throw Error(fmt::format("{}: <object/difficult> is {}; expected 0 or 1", r.where(object.child("difficult")),
                                difficult));
      }
      box.difficult = difficult == 1;
    }
    const auto bndbox = object.child("bndbox");
    if (!bndbox) throw Error(fmt::format("{}: <object> has no <bndbox>", r.where(object)));
    if (bndbox.next_sibling("bndbox")) {
      throw Error(fmt::format("{}: <object> has more than one <bndbox>; expected one box per object", r.where(object)));
    }
    const double xmin = r.real(bndbox, "xmin", "bndbox/xmin"), ymin = r.real(bndbox, "ymin", "bndbox/ymin");
    const double xmax = r.real(bndbox, "xmax", "bndbox/xmax"), ymax = r.real(bndbox, "ymax", "bndbox/ymax");
    // 1-based inclusive pixel indices -> continuous corners: the box covers [xmin - 1, xmax).
    const double x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax;
    if (!(xmax >= xmin) || !(ymax >= ymin)) {  // then x2 - x1 >= 1: a box at least one pixel wide and high
      throw Error(
          fmt::format("{}: bndbox xmin {} xmax {}, ymin {} ymax {}: expected xmax >= xmin and ymax >= ymin "
                      "(x2 > x1, y2 > y1)",
                      r.where(bndbox), xmin, xmax, ymin, ymax));
    }
    if (x1 < 0 || y1 < 0 || x2 > a.width || y2 > a.height) {
      throw Error(
          fmt::format("{}: bndbox {},{} to {},{} reaches outside the {} x {} image; expected 1 <= xmin, "
                      "xmax <= width, 1 <= ymin, ymax <= height (VOC's 1-based pixel indices)",
                      r.where(bndbox), xmin, ymin, xmax, ymax, a.width, a.height));
    }
    box.box = Box{static_cast<float>(x1), static_cast<float>(y1), static_cast<float>(x2), static_cast<float>(y2)};
    a.objects.push_back(box);
  }
  return a;
}

VocAnnotation read_voc_xml(const fs::path& file, const std::vector<std::string>& names, int width, int height) {
  return parse_voc_xml(read_file(file), file.string(), names, width, height);
}

std::string format_voc_xml(const VocAnnotation& a, const std::vector<std::string>& names) {
  if (a.width <= 0 || a.height <= 0) {
    throw Error(fmt::format("{}: the image's size must be positive, got {} x {}", a.filename, a.width, a.height));
  }
  // Continuous corners [lo, hi) -> VOC's 1-based inclusive pixel range, rounded, clipped, at least one pixel.
  const auto range = [](float lo, float hi, int side) {
    long first = std::lround(lo) + 1, last = std::lround(hi);
    first = std::clamp<long>(first, 1, side);
    last = std::clamp<long>(last, first, side);
    return std::pair{first, last};
  };
  std::string xml = fmt::format(
      "<annotation>\n\t<folder>images</folder>\n\t<filename>{}</filename>\n\t<size>\n\t\t<width>{}</width>\n"
      "\t\t<height>{}</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n",
      escape_markup(a.filename), a.width, a.height);
  for (const auto& o : a.objects) {
    if (o.class_id < 0 || o.class_id >= static_cast<int>(names.size())) {
      throw Error(fmt::format("{}: class id {} is out of range: the names list has {} classes", a.filename, o.class_id,
                              names.size()));
    }
    const auto [xmin, xmax] = range(o.box.x1, o.box.x2, a.width);
    const auto [ymin, ymax] = range(o.box.y1, o.box.y2, a.height);
    xml += fmt::format(
        "\t<object>\n\t\t<name>{}</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
        "\t\t<difficult>{}</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>{}</xmin>\n\t\t\t<ymin>{}</ymin>\n"
        "\t\t\t<xmax>{}</xmax>\n\t\t\t<ymax>{}</ymax>\n\t\t</bndbox>\n\t</object>\n",
        escape_markup(names[o.class_id]), o.difficult ? 1 : 0, xmin, ymin, xmax, ymax);
  }
  return xml + "</annotation>\n";
}

}  // namespace tint::data
