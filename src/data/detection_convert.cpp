// Writing a detection dataset in one of the three layouts (data/detection_dataset.h, write_detection_dataset).
#include <unistd.h>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/coco_json.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {

// Removes the temporary folder unless the conversion got as far as renaming it.
class ConvertScratch {
 public:
  explicit ConvertScratch(fs::path dir) : dir_(std::move(dir)) {}
  ~ConvertScratch() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  ConvertScratch(const ConvertScratch&) = delete;
  ConvertScratch& operator=(const ConvertScratch&) = delete;
  const fs::path& path() const { return dir_; }
  void release() { dir_.clear(); }

 private:
  fs::path dir_;
};

}  // namespace

WrittenDataset write_detection_dataset(const DetectionDataset& dataset, const fs::path& out, LabelFormat format) {
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec))) {
    throw Error(fmt::format("{}: already exists and is not an empty folder; give a new folder", out.string()));
  }
  fs::path absolute_out = fs::absolute(out, ec).lexically_normal();
  if (absolute_out.filename().empty()) absolute_out = absolute_out.parent_path();  // "new/" names the folder new
  const fs::path parent = absolute_out.parent_path();
  ensure_directory(parent);
  ConvertScratch scratch(parent / fmt::format(".{}.tmp-{}", absolute_out.filename().string(), ::getpid()));
  fs::remove_all(scratch.path(), ec);
  ensure_directory(scratch.path() / "images");

  WrittenDataset written;
  const fs::path images_dir = dataset.dir / "images";
  const fs::path label_root = scratch.path() / (format == LabelFormat::Yolo ? "labels" : "annotations");
  ensure_directory(label_root);
  for (const auto& image : dataset.images) {
    const fs::path relative = image.path.lexically_relative(images_dir);
    if (relative.empty() || *relative.begin() == "..") {
      throw Error(fmt::format("{}: not under {}", image.path.string(), images_dir.string()));
    }
    const fs::path target = scratch.path() / "images" / relative;
    ensure_directory(target.parent_path());
    fs::create_hard_link(image.path, target, ec);
    if (!ec) {
      ++written.linked;
    } else if (!fs::copy_file(image.path, target, ec) || ec) {
      throw Error(fmt::format("{}: cannot copy to {}: {}", image.path.string(), target.string(), ec.message()));
    }
    if (format == LabelFormat::Yolo && !image.objects.empty()) {
      const fs::path label = label_root / fs::path(relative).replace_extension(".txt");
      ensure_directory(label.parent_path());
      write_file_atomic(label, format_yolo_labels(image.objects, image.width, image.height));
    } else if (format == LabelFormat::Voc) {
      const fs::path label = label_root / fs::path(relative).replace_extension(".xml");
      ensure_directory(label.parent_path());
      VocAnnotation a;
      a.filename = relative.filename().string();
      a.width = image.width;
      a.height = image.height;
      a.objects = image.objects;
      write_file_atomic(label, format_voc_xml(a, dataset.names));
    }
    ++written.images;
    written.objects += static_cast<int64_t>(image.objects.size());
  }
  if (format == LabelFormat::Coco) write_file_atomic(label_root / "instances.json", format_coco_json(dataset));
  std::string names;
  for (const auto& n : dataset.names) names += n + "\n";
  write_file_atomic(scratch.path() / "classes.names", names);

  if (fs::exists(out, ec)) fs::remove(out, ec);  // the empty folder it may be
  fs::rename(scratch.path(), absolute_out, ec);
  if (ec) throw Error(fmt::format("{}: cannot move the converted dataset into place: {}", out.string(), ec.message()));
  scratch.release();
  return written;
}

}  // namespace tint::data
