// `tint detect anchors` and `tint detect convert`: tools for one's own detection data (the library's
// detect/anchors.h and data/detection_dataset.h do the work).
#include <fmt/core.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/core/error.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/detect/anchors.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/detect_settings.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

// --names, else the dataset's own names file, else (YOLO and VOC) the shipped model's coco.names; a COCO dataset
// names its classes in its JSON.
data::DetectionDataset read_dataset_with_names(const std::string& dir, const std::string& names_flag,
                                               const data::DetectionDatasetOptions& options) {
  std::vector<std::string> names;
  if (!names_flag.empty()) {
    names = data::read_names(names_flag);
  } else if (const auto own = data::dataset_names_file(dir); !own.empty()) {
    names = data::read_names(own);
  } else if (data::coco_json_of(dir, options).empty()) {
    names = data::read_names(shipped_detector_dir() / "coco.names");
  }
  return data::read_detection_dataset(dir, names, options);
}

const char* kNamesHelp =
    "Class names, one per line (default: the dataset's classes.names or labels/classes.txt, else COCO's names; a COCO "
    "JSON names its own)";

// "W,H" or "S" (both sides).
std::pair<int, int> parse_input_size(const std::string& text) {
  const auto comma = text.find(',');
  const auto side = [&](const std::string& s) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || s.empty() || v < 1 || v > 4096) {
      throw Error(fmt::format("--size '{}': expected W,H or one side, in pixels (1..4096)", text));
    }
    return v;
  };
  if (comma == std::string::npos) return {side(text), side(text)};
  return {side(text.substr(0, comma)), side(text.substr(comma + 1))};
}

void add_detect_anchors(CLI::App& detect) {
  struct Flags {
    std::string data, names, coco, cfg, out, size;
    detect::AnchorOptions options;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = detect.add_subcommand(
      "anchors",
      "Anchor boxes for your data: k-means on the training boxes' sizes with the 1 - IoU distance (darknet's "
      "calc_anchors); --out writes a copy of the cfg with them");
  cmd->add_option("--data", f->data, "Dataset folder: images/ with labels/ (YOLO), annotations/ (VOC) or a COCO JSON")
      ->required();
  cmd->add_option("--names", f->names, kNamesHelp);
  cmd->add_option("--coco", f->coco, "The COCO instances JSON (default: DIR/annotations/instances.json if present)");
  add_settings(*cmd, detect::anchor_settings(), f->options);
  cmd->add_option("--size", f->size,
                  "Network input W,H the boxes are scaled to (default: the cfg's [net] width,height)");
  cmd->add_option("--cfg", f->cfg, "Darknet .cfg (default: the shipped Yolo-Fastest 1.1's)");
  cmd->add_option("--out", f->out, "Write a copy of --cfg with every [yolo] section's anchors, num and mask replaced");
  cmd->callback([f] {
    const fs::path cfg_path = f->cfg.empty() ? shipped_detector_dir() / "yolo-fastest-1.1.cfg" : fs::path(f->cfg);
    auto cfg = detect::read_cfg(cfg_path);
    const auto [width, height] = f->size.empty()
                                     ? std::pair{cfg.net().get_int("width", 416), cfg.net().get_int("height", 416)}
                                     : parse_input_size(f->size);
    data::DetectionDatasetOptions options;
    options.coco_json = f->coco;
    const auto dataset = read_dataset_with_names(f->data, f->names, options);
    const auto boxes = detect::box_sizes(dataset, width, height);
    if (boxes.empty()) throw Error(fmt::format("{}: no labelled boxes to cluster", f->data));
    const auto fit = detect::fit_anchors(boxes, f->options);
    fmt::print("{}: {} boxes in {} images ({}), scaled to the {} x {} input\n", f->data, boxes.size(),
               dataset.images.size(), data::to_string(dataset.format), width, height);
    fmt::print("anchors = {}\n", detect::format_anchors(fit.anchors));
    fmt::print("avg IoU {:.2f}% ({} anchors, k-means++ seed {}, {} iterations{})\n", 100 * fit.avg_iou,
               fit.anchors.size(), f->options.seed, fit.iterations, fit.converged ? "" : ", not converged");
    const auto own = detect::cfg_anchors(cfg);
    fmt::print("the cfg's own {} anchors ({}): avg IoU {:.2f}%\n", own.size(), cfg_path.filename().string(),
               100 * detect::average_best_iou(boxes, own));
    if (!f->out.empty()) {
      const auto masks = detect::set_anchors(cfg, fit.anchors);
      detect::write_cfg(f->out, cfg);
      std::string layout;
      for (const auto& m : masks) {
        std::string one;
        for (const int a : m) one += (one.empty() ? "" : ",") + std::to_string(a);
        layout += (layout.empty() ? "" : " | ") + one;
      }
      fmt::print("wrote {}: {} [yolo] heads, masks {}\n", f->out, masks.size(), layout);
    }
  });
}

void add_detect_convert(CLI::App& detect) {
  struct Flags {
    std::string from, to, names, coco;
    data::LabelFormat format = data::LabelFormat::Yolo;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = detect.add_subcommand(
      "convert", "Convert a detection dataset between YOLO txt, Pascal VOC XML and COCO JSON (images hard-linked)");
  cmd->add_option("--from", f->from, "Dataset folder: images/ with labels/ (YOLO), annotations/ (VOC) or a COCO JSON")
      ->required();
  cmd->add_option("--to", f->to, "New dataset folder (must not exist, or be empty)")->required();
  cmd->add_option("--format", f->format, "Label format to write")
      ->required()
      ->transform(CLI::CheckedTransformer(std::map<std::string, data::LabelFormat>{
          {"yolo", data::LabelFormat::Yolo}, {"voc", data::LabelFormat::Voc}, {"coco", data::LabelFormat::Coco}}));
  cmd->add_option("--names", f->names, kNamesHelp);
  cmd->add_option("--coco", f->coco, "The COCO instances JSON to read (default: DIR/annotations/instances.json)");
  cmd->callback([f] {
    data::DetectionDatasetOptions options;
    options.coco_json = f->coco;
    const auto dataset = read_dataset_with_names(f->from, f->names, options);
    const auto written = data::write_detection_dataset(dataset, f->to, f->format);
    fmt::print("{} ({}) -> {} ({}): {} images ({} hard-linked), {} objects, {} classes\n", f->from,
               data::to_string(dataset.format), f->to, data::to_string(f->format), written.images, written.linked,
               written.objects, dataset.names.size());
  });
}

}  // namespace

void add_detect_data_tools(CLI::App& detect) {
  add_detect_anchors(detect);
  add_detect_convert(detect);
}

}  // namespace tint::cli
