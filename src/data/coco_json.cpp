// COCO instances JSON (data/coco_json.h), read with nlohmann::json and checked element by element.
#include "tint/data/coco_json.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "label_text.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "name: images[3]" or "name: annotations[7] (id 12)": where an element is.
std::string coco_where(const std::string& name, const char* array, size_t i, const json& element) {
  const auto id = element.is_object() ? element.find("id") : element.end();
  if (element.is_object() && id != element.end() && id->is_number_integer()) {
    return fmt::format("{}: {}[{}] (id {})", name, array, i, id->dump());
  }
  return fmt::format("{}: {}[{}]", name, array, i);
}

const json& coco_member(const json& element, const char* key, const std::string& where) {
  const auto it = element.find(key);
  if (it == element.end()) throw Error(fmt::format("{}: no \"{}\"", where, key));
  return *it;
}

int64_t coco_integer(const json& element, const char* key, const std::string& where) {
  const json& v = coco_member(element, key, where);
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
    throw Error(fmt::format("{}: \"{}\" {} is too large", where, key, v.dump()));
  }
  if (!v.is_number_integer()) throw Error(fmt::format("{}: \"{}\" is {}; expected an integer", where, key, v.dump()));
  return v.get<int64_t>();
}

int coco_side(const json& element, const char* key, const std::string& where) {
  const int64_t v = coco_integer(element, key, where);
  if (v <= 0 || v > (1 << 20)) {
    throw Error(fmt::format("{}: \"{}\" is {}; expected a positive image size in pixels", where, key, v));
  }
  return static_cast<int>(v);
}

std::string coco_text(const json& element, const char* key, const std::string& where) {
  const json& v = coco_member(element, key, where);
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    throw Error(fmt::format("{}: \"{}\" is {}; expected a non-empty string", where, key, v.dump()));
  }
  return v.get<std::string>();
}

const json& coco_array(const json& root, const char* key, const std::string& name) {
  const auto it = root.find(key);
  if (it == root.end() || !it->is_array()) {
    throw Error(fmt::format("{}: expected a \"{}\" array at the top level, as COCO instances JSON has", name, key));
  }
  return *it;
}

// Adds `key` (with `value` for a map) to the ids or names seen so far in one array; a second one is refused, named
// by `what` ("image id 7", "file_name 'a.jpg'").
template <class Seen, class Key, class... Value>
void add_once(Seen& seen, const std::string& where, const std::string& what, const Key& key, Value&&... value) {
  if (!seen.emplace(key, std::forward<Value>(value)...).second) {
    throw Error(fmt::format("{}: {} is given twice", where, what));
  }
}

// Calls visit(element, where) on each element of the top-level array `key`, each of which must be an object
// (`holding` says what it should hold).
template <class Visit>
void for_each_object(const json& root, const char* key, const std::string& name, const char* holding, Visit visit) {
  const json& array = coco_array(root, key, name);
  for (size_t i = 0; i < array.size(); ++i) {
    const json& element = array[i];
    const auto where = coco_where(name, key, i, element);
    if (!element.is_object()) throw Error(fmt::format("{}: expected an object with {}", where, holding));
    visit(element, where);
  }
}

// A JSON number rounded to 1/1000: what format_coco_json writes for a coordinate.
double coco_milli(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

CocoAnnotations parse_coco_json(std::string_view text, const std::string& name) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw Error(fmt::format("{}:{}: not valid JSON: {}", name,
                            label_text::line_of(text, static_cast<std::ptrdiff_t>(e.byte) - 1), e.what()));
  } catch (const json::exception& e) {
    // The parser's other refusals, such as a number beyond double's range (out_of_range 406, found by
    // fuzz_coco_json: fuzz/regressions/coco_json_number_overflow.json), have no byte position.
    throw Error(fmt::format("{}: not valid JSON: {}", name, e.what()));
  }
  if (!root.is_object())
    throw Error(fmt::format("{}: expected a JSON object with images, annotations, categories", name));
  CocoAnnotations out;

  std::map<int64_t, int> category_class;
  std::set<std::string> category_names;
  for_each_object(root, "categories", name, "\"id\" and \"name\"", [&](const json& c, const std::string& where) {
    const int64_t id = coco_integer(c, "id", where);
    const auto n = coco_text(c, "name", where);
    add_once(category_class, where, fmt::format("category id {}", id), id, static_cast<int>(out.names.size()));
    add_once(category_names, where, fmt::format("category name '{}'", n), n);
    out.names.push_back(n);
  });
  if (out.names.empty()) throw Error(fmt::format("{}: \"categories\" is empty; expected at least one class", name));

  std::map<int64_t, size_t> image_index;
  std::set<std::string> file_names;
  for_each_object(root, "images", name, "id, file_name, width, height", [&](const json& m, const std::string& where) {
    CocoImage image;
    image.id = coco_integer(m, "id", where);
    image.file_name = coco_text(m, "file_name", where);
    image.width = coco_side(m, "width", where);
    image.height = coco_side(m, "height", where);
    add_once(image_index, where, fmt::format("image id {}", image.id), image.id, out.images.size());
    add_once(file_names, where, fmt::format("file_name '{}'", image.file_name), image.file_name);
    out.images.push_back(std::move(image));
  });

  std::set<int64_t> annotation_ids;
  for_each_object(
      root, "annotations", name, "image_id, category_id, bbox", [&](const json& a, const std::string& where) {
        if (a.contains("id")) {
          const int64_t id = coco_integer(a, "id", where);
          add_once(annotation_ids, where, fmt::format("annotation id {}", id), id);
        }
        const int64_t image_id = coco_integer(a, "image_id", where);
        const auto image = image_index.find(image_id);
        if (image == image_index.end())
          throw Error(fmt::format("{}: image_id {} is not in \"images\"", where, image_id));
        const int64_t category_id = coco_integer(a, "category_id", where);
        const auto category = category_class.find(category_id);
        if (category == category_class.end()) {
          throw Error(fmt::format("{}: category_id {} is not in \"categories\"", where, category_id));
        }
        LabelledBox box;
        box.class_id = category->second;
        if (const auto crowd = a.find("iscrowd"); crowd != a.end()) {
          if (crowd->is_boolean()) {
            box.difficult = crowd->get<bool>();
          } else if (crowd->is_number_integer() && (*crowd == 0 || *crowd == 1)) {
            box.difficult = *crowd == 1;
          } else {
            throw Error(fmt::format("{}: \"iscrowd\" is {}; expected 0 or 1", where, crowd->dump()));
          }
        }
        const json& bbox = coco_member(a, "bbox", where);
        double v[4];
        if (!bbox.is_array() || bbox.size() != 4) {
          throw Error(fmt::format("{}: \"bbox\" is {}; expected [x, y, width, height]", where, bbox.dump()));
        }
        for (int k = 0; k < 4; ++k) {
          if (!bbox[k].is_number() || !std::isfinite(v[k] = bbox[k].get<double>())) {
            throw Error(
                fmt::format("{}: \"bbox\" {} holds a non-number; expected [x, y, width, height]", where, bbox.dump()));
          }
        }
        CocoImage& im = out.images[image->second];
        if (!(v[2] > 0) || !(v[3] > 0)) {
          throw Error(
              fmt::format("{}: bbox width {} height {}: expected both > 0", where, bbox[2].dump(), bbox[3].dump()));
        }
        const double x1 = v[0], y1 = v[1], x2 = v[0] + v[2], y2 = v[1] + v[3];
        if (x1 < -kCocoEdgeSlack || y1 < -kCocoEdgeSlack || x2 > im.width + kCocoEdgeSlack ||
            y2 > im.height + kCocoEdgeSlack) {
          throw Error(fmt::format("{}: bbox {} reaches outside image {} ({} x {})", where, bbox.dump(), im.id, im.width,
                                  im.height));
        }
        box.box = Box{static_cast<float>(std::max(0.0, x1)), static_cast<float>(std::max(0.0, y1)),
                      static_cast<float>(std::min<double>(im.width, x2)),
                      static_cast<float>(std::min<double>(im.height, y2))};
        if (!(box.box.x2 > box.box.x1) || !(box.box.y2 > box.box.y1)) {
          throw Error(fmt::format("{}: bbox {} has no area inside image {} ({} x {})", where, bbox.dump(), im.id,
                                  im.width, im.height));
        }
        im.objects.push_back(box);
      });
  return out;
}

CocoAnnotations read_coco_json(const fs::path& file) { return parse_coco_json(read_file(file), file.string()); }

std::string format_coco_json(const DetectionDataset& dataset) {
  json images = json::array(), annotations = json::array(), categories = json::array();
  for (size_t c = 0; c < dataset.names.size(); ++c) {
    categories.push_back({{"id", c + 1}, {"name", dataset.names[c]}, {"supercategory", "none"}});
  }
  const fs::path images_dir = dataset.dir / "images";
  int64_t next_annotation = 1;
  for (size_t i = 0; i < dataset.images.size(); ++i) {
    const auto& image = dataset.images[i];
    const int64_t id = static_cast<int64_t>(i) + 1;
    images.push_back({{"id", id},
                      {"file_name", image.path.lexically_relative(images_dir).generic_string()},
                      {"width", image.width},
                      {"height", image.height}});
    for (const auto& o : image.objects) {
      if (o.class_id < 0 || o.class_id >= static_cast<int>(dataset.names.size())) {
        throw Error(fmt::format("{}: class id {} is out of range: the names list has {} classes", image.path.string(),
                                o.class_id, dataset.names.size()));
      }
      const double x = coco_milli(o.box.x1), y = coco_milli(o.box.y1);
      const double w = coco_milli(o.box.x2 - double(o.box.x1)), h = coco_milli(o.box.y2 - double(o.box.y1));
      annotations.push_back({{"id", next_annotation++},
                             {"image_id", id},
                             {"category_id", o.class_id + 1},
                             {"bbox", {x, y, w, h}},
                             {"area", coco_milli(w * h)},
                             {"iscrowd", o.difficult ? 1 : 0},
                             {"segmentation", json::array()}});
    }
  }
  const json root{{"images", images}, {"annotations", annotations}, {"categories", categories}};
  return root.dump(1) + "\n";
}

}  // namespace tint::data
