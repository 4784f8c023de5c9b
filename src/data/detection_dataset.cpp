// Detection datasets on disk (data/detection_dataset.h): the YOLO and VOC layouts, image lists and CSV splits.
#include "tint/data/detection_dataset.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "label_text.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/coco_json.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/image_size.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

// Every regular file under `root` with an extension in `wanted` (lower case), as paths relative to `root`, sorted.
std::vector<fs::path> files_under(const fs::path& root, const std::function<bool(const fs::path&)>& wanted) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && wanted(it->path())) files.push_back(it->path().lexically_relative(root));
  }
  if (ec) throw Error(fmt::format("{}: cannot list the folder: {}", root.string(), ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

std::string extension_in_lower_case(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// The fields of one CSV row (RFC 4180 quoting: "a,b" and "" for a quote inside); nullopt on an unclosed quote.
std::optional<std::vector<std::string>> csv_fields(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '"' && label_text::trim(fields.back()).empty()) {
      quoted = true;
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  for (auto& f : fields) f = std::string(label_text::trim(f));
  return fields;
}

// Images of the dataset selected by `list` (or all): indices into `relative`.
std::vector<size_t> select_images(const std::vector<fs::path>& relative, const fs::path& list_file,
                                  const fs::path& images_dir) {
  std::vector<size_t> all(relative.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (list_file.empty()) return all;
  std::map<std::string, size_t> by_path;
  std::map<std::string, std::vector<size_t>> by_file_name;
  for (size_t i = 0; i < relative.size(); ++i) {
    by_path.emplace(relative[i].generic_string(), i);
    by_file_name[relative[i].filename().string()].push_back(i);
  }
  std::set<size_t> chosen;
  for (const auto& entry : read_image_list(list_file)) {
    const auto where = fmt::format("{}:{}", list_file.string(), entry.line);
    if (auto it = by_path.find(entry.name); it != by_path.end()) {
      chosen.insert(it->second);
      continue;
    }
    auto it = by_file_name.find(entry.name);
    if (it == by_file_name.end()) {
      throw Error(fmt::format("{}: image '{}' is not in {}", where, entry.name, images_dir.string()));
    }
    if (it->second.size() > 1) {
      throw Error(fmt::format("{}: '{}' names {} images ({} and {}); give its path under {}", where, entry.name,
                              it->second.size(), relative[it->second[0]].generic_string(),
                              relative[it->second[1]].generic_string(), images_dir.string()));
    }
    chosen.insert(it->second.front());
  }
  return {chosen.begin(), chosen.end()};
}

// The COCO layout: images/ and the instances JSON `json`.
DetectionDataset read_coco_dataset(const fs::path& dir, const fs::path& json, const std::vector<std::string>& names,
                                   const DetectionDatasetOptions& options) {
  std::error_code ec;
  const fs::path images_dir = dir / "images";
  if (!fs::is_directory(images_dir, ec)) {
    throw Error(fmt::format("{}: expected images/ beside the COCO annotations {}", dir.string(), json.string()));
  }
  const auto coco = read_coco_json(json);
  if (!names.empty() && names.size() != coco.names.size()) {
    throw Error(
        fmt::format("{}: {} categories, but the names list has {} classes; class ids are the categories' "
                    "positions",
                    json.string(), coco.names.size(), names.size()));
  }
  const auto images = files_under(images_dir, [](const fs::path& p) { return is_readable_image_name(p); });
  if (images.empty()) throw Error(fmt::format("{}: no images (.jpg, .jpeg, .png, .webp)", images_dir.string()));
  std::map<std::string, size_t> by_path;
  std::map<std::string, std::vector<size_t>> by_file_name;
  for (size_t i = 0; i < images.size(); ++i) {
    by_path.emplace(images[i].generic_string(), i);
    by_file_name[images[i].filename().string()].push_back(i);
  }
  std::vector<const CocoImage*> entry_of(images.size(), nullptr);
  for (const auto& image : coco.images) {
    size_t index = 0;
    if (const auto it = by_path.find(image.file_name); it != by_path.end()) {
      index = it->second;
    } else if (const auto named = by_file_name.find(image.file_name);
               named != by_file_name.end() && named->second.size() == 1) {
      index = named->second.front();
    } else {
      throw Error(
          fmt::format("{}: image {} '{}' is not in {}{}", json.string(), image.id, image.file_name, images_dir.string(),
                      named == by_file_name.end() ? "" : " (that name is found more than once: give its path)"));
    }
    if (entry_of[index] != nullptr) {
      throw Error(fmt::format("{}: images {} and {} are both {}", json.string(), entry_of[index]->id, image.id,
                              (images_dir / images[index]).string()));
    }
    entry_of[index] = &image;
  }
  DetectionDataset dataset;
  dataset.dir = dir;
  dataset.format = LabelFormat::Coco;
  dataset.names = names.empty() ? coco.names : names;
  for (const size_t i : select_images(images, options.image_list, images_dir)) {
    DetectionImage record;
    record.path = images_dir / images[i];
    record.label_path = json;
    if (entry_of[i] == nullptr) {
      throw Error(
          fmt::format("{}: image not listed in {}; every image needs an \"images\" entry (with no annotations "
                      "when it has no objects)",
                      record.path.string(), json.string()));
    }
    const auto size = read_image_size(record.path);
    record.width = size.width;
    record.height = size.height;
    const CocoImage& entry = *entry_of[i];
    if (entry.width != record.width || entry.height != record.height) {
      throw Error(fmt::format("{}: image {} '{}' is {} x {} in the JSON but {} x {} on disk", json.string(), entry.id,
                              entry.file_name, entry.width, entry.height, record.width, record.height));
    }
    record.objects = entry.objects;
    dataset.images.push_back(std::move(record));
  }
  return dataset;
}

}  // namespace

const char* to_string(LabelFormat format) {
  switch (format) {
    case LabelFormat::Yolo:
      return "YOLO";
    case LabelFormat::Voc:
      return "Pascal VOC";
    case LabelFormat::Coco:
      return "COCO JSON";
  }
  return "?";
}

fs::path coco_json_of(const fs::path& dir, const DetectionDatasetOptions& options) {
  if (!options.coco_json.empty()) return options.coco_json;
  std::error_code ec;
  const fs::path json = dir / "annotations" / "instances.json";
  return fs::is_regular_file(json, ec) ? json : fs::path();
}

fs::path dataset_names_file(const fs::path& dir) {
  std::error_code ec;
  for (const fs::path& p : {dir / "classes.names", dir / "labels" / "classes.txt"}) {
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

int64_t DetectionDataset::num_objects() const {
  int64_t n = 0;
  for (const auto& image : images) n += static_cast<int64_t>(image.objects.size());
  return n;
}

std::vector<ImageListEntry> parse_image_list(std::string_view text, const std::string& name) {
  std::vector<ImageListEntry> entries;
  std::set<std::string> seen;
  bool first = true;
  std::optional<size_t> csv_column;  // set when the first line is a CSV header
  label_text::for_each_line(text, [&](int number, std::string_view line) {
    line = label_text::trim(line);
    if (line.empty()) return;
    const auto where = fmt::format("{}:{}", name, number);
    std::string image;
    if (first) {
      first = false;
      if (line.find(',') != std::string_view::npos) {
        const auto header = csv_fields(line);
        if (!header) throw Error(fmt::format("{}: unclosed quote in the CSV header", where));
        for (size_t i = 0; i < header->size(); ++i) {
          std::string column = (*header)[i];
          std::transform(column.begin(), column.end(), column.begin(), [](unsigned char c) { return std::tolower(c); });
          if (column == "filename") csv_column = i;
        }
        if (!csv_column) {
          throw Error(
              fmt::format("{}: the CSV header has no 'filename' column; expected a CSV with a filename "
                          "column or one image name per line",
                          where));
        }
        return;
      }
    }
    if (csv_column) {
      const auto fields = csv_fields(line);
      if (!fields) throw Error(fmt::format("{}: unclosed quote", where));
      if (fields->size() <= *csv_column) {
        throw Error(fmt::format("{}: {} fields, no filename (column {} of the header)", where, fields->size(),
                                *csv_column + 1));
      }
      image = (*fields)[*csv_column];
      if (image.empty()) throw Error(fmt::format("{}: empty filename", where));
    } else {
      image = std::string(line);
    }
    if (seen.insert(image).second) entries.push_back({image, number});
  });
  if (entries.empty()) throw Error(fmt::format("{}: lists no images", name));
  return entries;
}

std::vector<ImageListEntry> read_image_list(const fs::path& file) {
  return parse_image_list(read_file(file), file.string());
}

DetectionDataset read_detection_dataset(const fs::path& dir, const std::vector<std::string>& names,
                                        const DetectionDatasetOptions& options) {
  if (const auto json = coco_json_of(dir, options); !json.empty()) return read_coco_dataset(dir, json, names, options);
  if (names.empty()) throw Error(fmt::format("{}: no class names to read the dataset with", dir.string()));
  std::error_code ec;
  const fs::path images_dir = dir / "images", labels_dir = dir / "labels", annotations_dir = dir / "annotations";
  const bool yolo = fs::is_directory(labels_dir, ec), voc = fs::is_directory(annotations_dir, ec);
  if (!fs::is_directory(images_dir, ec) || yolo == voc) {
    throw Error(fmt::format(
        "{}: expected images/ with either labels/ (YOLO txt) or annotations/ (Pascal VOC XML) "
        "beside it; found images/ {}, labels/ {}, annotations/ {}",
        dir.string(), fs::is_directory(images_dir, ec) ? "yes" : "no", yolo ? "yes" : "no", voc ? "yes" : "no"));
  }
  DetectionDataset dataset;
  dataset.dir = dir;
  dataset.format = yolo ? LabelFormat::Yolo : LabelFormat::Voc;
  dataset.names = names;
  const fs::path label_root = yolo ? labels_dir : annotations_dir;
  const std::string label_ext = yolo ? ".txt" : ".xml";

  const auto images = files_under(images_dir, [](const fs::path& p) { return is_readable_image_name(p); });
  if (images.empty()) throw Error(fmt::format("{}: no images (.jpg, .jpeg, .png, .webp)", images_dir.string()));

  // A label file must belong to an image: the same path under images/ with an image extension.
  std::set<fs::path> image_stems;
  for (const auto& p : images) {
    auto stem = p;
    if (!image_stems.insert(stem.replace_extension()).second) {
      throw Error(fmt::format("{}: two images named {}.*: each image's label file would be {}{}", images_dir.string(),
                              stem.generic_string(), (label_root / stem).string(), label_ext));
    }
  }
  const auto labels =
      files_under(label_root, [&](const fs::path& p) { return extension_in_lower_case(p) == label_ext; });
  for (const auto& label : labels) {
    if (yolo && label == "classes.txt") continue;
    if (label.extension() != label_ext) {  // images/a.jpg is looked up as a.txt / a.xml exactly
      throw Error(fmt::format("{}: expected the extension {} in lower case", (label_root / label).string(), label_ext));
    }
    auto stem = label;
    if (!image_stems.count(stem.replace_extension())) {
      throw Error(fmt::format("{}: label file without an image: expected {}.jpg (or .jpeg, .png, .webp)",
                              (label_root / label).string(), (images_dir / stem).string()));
    }
  }

  const int num_classes = static_cast<int>(names.size());
  for (const size_t i : select_images(images, options.image_list, images_dir)) {
    DetectionImage record;
    record.path = images_dir / images[i];
    record.label_path = label_root / fs::path(images[i]).replace_extension(label_ext);
    const auto size = read_image_size(record.path);
    record.width = size.width;
    record.height = size.height;
    if (yolo) {
      record.objects = read_yolo_labels(record.label_path, num_classes, record.width, record.height);
    } else {
      if (!fs::exists(record.label_path, ec)) {
        throw Error(fmt::format("{}: no annotation for this image: expected {}", record.path.string(),
                                record.label_path.string()));
      }
      record.objects = read_voc_xml(record.label_path, names, record.width, record.height).objects;
    }
    dataset.images.push_back(std::move(record));
  }
  return dataset;
}

}  // namespace tint::data
