// Names files and YOLO label files (data/detection_labels.h).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/core.h>

#include "label_text.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/detection_labels.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

std::vector<std::string_view> yolo_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

}  // namespace

std::vector<std::string> parse_names(std::string_view text, const std::string& name) {
  std::vector<std::string> names;
  std::map<std::string, int> line_of_name;
  int blank_line = 0;  // the first blank line after a name: allowed only at the end
  label_text::for_each_line(text, [&](int number, std::string_view line) {
    line = label_text::trim(line);
    if (line.empty()) {
      if (blank_line == 0) blank_line = number;
      return;
    }
    if (blank_line != 0 && !names.empty()) {
      throw Error(
          fmt::format("{}:{}: blank line between class names (the names after it would change ids); "
                      "expected one name per line",
                      name, blank_line));
    }
    if (blank_line != 0) {
      throw Error(
          fmt::format("{}:{}: blank line before the first class name; expected one name per line", name, blank_line));
    }
    std::string n(line);
    if (auto [it, fresh] = line_of_name.emplace(n, number); !fresh) {
      throw Error(
          fmt::format("{}:{}: class name '{}' repeats line {}; names must be unique", name, number, n, it->second));
    }
    names.push_back(std::move(n));
  });
  if (names.empty()) throw Error(fmt::format("{}: no class names; expected one name per line", name));
  return names;
}

std::vector<std::string> read_names(const fs::path& file) { return parse_names(read_file(file), file.string()); }

std::vector<LabelledBox> parse_yolo_labels(std::string_view text, const std::string& name, int num_classes, int width,
                                           int height) {
  if (num_classes <= 0) throw Error(fmt::format("{}: no classes to read labels for", name));
  if (width <= 0 || height <= 0) {
    throw Error(
        fmt::format("{}: the image's size must be positive to place its labels, got {} x {}", name, width, height));
  }
  std::vector<LabelledBox> boxes;
  label_text::for_each_line(text, [&](int number, std::string_view line) {
    const auto fields = yolo_fields(line);
    if (fields.empty()) return;
    const auto where = fmt::format("{}:{}", name, number);
    if (fields.size() != 5) {
      throw Error(fmt::format("{}: expected 5 fields `class cx cy w h`, found {}", where, fields.size()));
    }
    LabelledBox box;
    if (!label_text::parse_int(fields[0], box.class_id)) {
      throw Error(fmt::format("{}: class id '{}' is not an integer", where, fields[0]));
    }
    if (box.class_id < 0 || box.class_id >= num_classes) {
      throw Error(fmt::format("{}: class id {} is out of range: the names list has {} classes (0..{})", where,
                              box.class_id, num_classes, num_classes - 1));
    }
    static constexpr const char* kField[] = {"cx", "cy", "w", "h"};
    double v[4];
    for (int i = 0; i < 4; ++i) {
      if (!label_text::parse_real(fields[1 + i], v[i]) || !std::isfinite(v[i])) {
        throw Error(fmt::format("{}: {} '{}' is not a finite number", where, kField[i], fields[1 + i]));
      }
    }
    const double cx = v[0], cy = v[1], w = v[2], h = v[3];
    if (w <= 0 || h <= 0) {
      throw Error(
          fmt::format("{}: box size w {} h {}: expected both > 0 (x2 > x1, y2 > y1)", where, fields[3], fields[4]));
    }
    const double x1 = cx - w / 2, x2 = cx + w / 2, y1 = cy - h / 2, y2 = cy + h / 2;
    if (x1 < -kYoloEdgeSlack || x2 > 1 + kYoloEdgeSlack || y1 < -kYoloEdgeSlack || y2 > 1 + kYoloEdgeSlack) {
      throw Error(
          fmt::format("{}: box x {:.6g}..{:.6g}, y {:.6g}..{:.6g} (cx -+ w/2, cy -+ h/2) reaches outside the "
                      "image: expected normalised coordinates within [0, 1]",
                      where, x1, x2, y1, y2));
    }
    const auto clip = [](double t) { return std::min(1.0, std::max(0.0, t)); };
    box.box = Box{static_cast<float>(clip(x1) * width), static_cast<float>(clip(y1) * height),
                  static_cast<float>(clip(x2) * width), static_cast<float>(clip(y2) * height)};
    if (!(box.box.x2 > box.box.x1) || !(box.box.y2 > box.box.y1)) {
      throw Error(fmt::format("{}: box w {} h {} is less than a representable size in a {} x {} image", where,
                              fields[3], fields[4], width, height));
    }
    boxes.push_back(box);
  });
  return boxes;
}

std::vector<LabelledBox> read_yolo_labels(const fs::path& file, int num_classes, int width, int height) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  return parse_yolo_labels(read_file(file), file.string(), num_classes, width, height);
}

std::string format_yolo_labels(const std::vector<LabelledBox>& boxes, int width, int height) {
  if (width <= 0 || height <= 0) {
    throw Error(fmt::format("YOLO labels: the image's size must be positive, got {} x {}", width, height));
  }
  std::string text;
  for (const auto& b : boxes) {
    const auto clip = [](double t, int side) { return std::min(1.0, std::max(0.0, t / side)); };
    const double x1 = clip(b.box.x1, width), x2 = clip(b.box.x2, width);
    const double y1 = clip(b.box.y1, height), y2 = clip(b.box.y2, height);
    const double w = std::max(x2 - x1, 1e-6), h = std::max(y2 - y1, 1e-6);
    text += fmt::format("{} {:.6f} {:.6f} {:.6f} {:.6f}\n", b.class_id, (x1 + x2) / 2, (y1 + y2) / 2, w, h);
  }
  return text;
}

}  // namespace tint::data
