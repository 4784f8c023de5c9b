#include <fmt/core.h>

#include <map>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/detect/detector.h"
#include "tint/detect/evaluate_dataset.h"
#include "tint/detect/fine_tune.h"
#include "tint/data/detection_dataset.h"
#include "tint/detect/draw_detections.h"
#include "tint/report/progress.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

// Where a model's three files are: --cfg/--weights/--names, a run directory, or the shipped Yolo-Fastest 1.1.
struct ModelFlags {
  std::string cfg, weights, names, run;
};

void add_model_flags(CLI::App& cmd, ModelFlags& m) {
  auto* run = cmd.add_option("--run", m.run, "Use the fine-tuned model of this `tint detect train` run directory");
  cmd.add_option("--cfg", m.cfg, "Darknet .cfg (default: the shipped Yolo-Fastest 1.1, COCO's 80 classes)")
      ->excludes(run);
  cmd.add_option("--weights", m.weights, "Darknet .weights for --cfg")->excludes(run);
  cmd.add_option("--names", m.names, "Class names, one per line (default: coco.names beside the shipped model)")
      ->excludes(run);
}

struct ModelFiles {
  fs::path cfg, weights, names;
};

ModelFiles resolve_model(const ModelFlags& m) {
  if (!m.run.empty()) {
    const fs::path run(m.run);
    namespace files = detect::run_files;
    return {run / files::kCfg, run / files::kWeights, run / files::kNames};
  }
  const fs::path shipped = shipped_detector_dir();
  if (m.cfg.empty() != m.weights.empty()) throw Error("--cfg and --weights go together");
  ModelFiles files{shipped / "yolo-fastest-1.1.cfg", shipped / "yolo-fastest-1.1.weights", shipped / "coco.names"};
  if (!m.cfg.empty()) files.cfg = m.cfg, files.weights = m.weights;
  if (!m.names.empty()) files.names = m.names;
  return files;
}

void add_detect_options(CLI::App& cmd, detect::DetectOptions& o, std::string& resize) {
  cmd.add_option("--size", o.size, "Network input side in pixels, a multiple of 32 (0 = the cfg's, 320 for Yolo-Fastest)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd.add_option("--resize", resize,
                 "stretch: both sides to --size, as darknet and the model's training; letterbox: keep the aspect "
                 "ratio, pad with grey")
      ->check(CLI::IsMember({"stretch", "letterbox"}))
      ->capture_default_str();
  cmd.add_option("--conf", o.post.conf, "Keep detections whose objectness x class probability reaches this")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  cmd.add_option("--iou", o.post.iou, "Non-maximum suppression: drop a box overlapping a better one of its class by "
                                      "more than this IoU")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
}

nlohmann::json detections_json(const fs::path& file, const torch::Tensor& image,
                               const std::vector<data::Detection>& found, const std::vector<std::string>& names,
                               const ModelFiles& model, const detect::DetectOptions& o, const std::string& resize,
                               std::pair<int, int> input) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : found)
    list.push_back({{"class", names.at(d.class_id)},
                    {"class_id", d.class_id},
                    {"score", d.score},
                    {"x1", d.box.x1},
                    {"y1", d.box.y1},
                    {"x2", d.box.x2},
                    {"y2", d.box.y2}});
  return {{"image", file.string()},
          {"width", image.size(2)},
          {"height", image.size(1)},
          {"model", {{"cfg", model.cfg.string()}, {"weights", model.weights.string()}}},
          {"input", {{"width", input.first}, {"height", input.second}, {"resize", resize}}},
          {"conf", o.post.conf},
          {"iou", o.post.iou},
          {"detections", list}};
}

// "4 person, 1 bus" (most frequent first) or "nothing".
std::string summary(const std::vector<data::Detection>& found, const std::vector<std::string>& names) {
  std::map<int, int> counts;
  for (const auto& d : found) ++counts[d.class_id];
  std::vector<std::pair<int, int>> order(counts.begin(), counts.end());
  std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [id, n] : order) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, names[id]);
  return text.empty() ? "nothing" : text;
}

void add_detect_evaluate(CLI::App& detect, SharedFlags& shared) {
  struct Flags {
    std::string data, images, json, resize = "stretch";
    ModelFlags model;
    detect::DatasetEvaluationOptions options = detect::default_evaluation_options();
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = detect.add_subcommand(
      "evaluate", "mAP@0.5 and mAP@0.5:0.95 as COCO defines them, a per-class AP table, precision and recall");
  cmd->add_option("--data", f->data,
                  "Dataset folder: images/ with labels/ (YOLO txt) or annotations/ (Pascal VOC XML)")
      ->required();
  cmd->add_option("--images", f->images,
                  "Evaluate only the images this file lists (one name per line, or a CSV with a filename column)");
  cmd->add_option("--json", f->json, "Also write the evaluation (per class and overall) to this JSON file");
  add_model_flags(*cmd, f->model);
  cmd->add_option("--size", f->options.detect.size, "Network input side (0 = the cfg's)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--resize", f->resize, "stretch (as darknet) or letterbox")
      ->check(CLI::IsMember({"stretch", "letterbox"}))
      ->capture_default_str();
  cmd->add_option("--conf", f->options.report_conf,
                  "Confidence at which precision and recall are counted (AP uses every detection down to 0.001)")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  cmd->add_option("--iou", f->options.detect.post.iou, "Non-maximum suppression IoU")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  add_threads_flag(*cmd, shared);
  cmd->callback([f, &shared] {
    apply_threads(shared);
    f->options.detect.resize = detect::parse_resize_mode(f->resize);
    const auto model = resolve_model(f->model);
    const auto detector = detect::Detector::from_files(model.cfg, model.weights, model.names);
    data::DetectionDatasetOptions data_options;
    data_options.image_list = f->images;
    const auto dataset = data::read_detection_dataset(f->data, detector.names(), data_options);
    if (dataset.images.empty()) throw Error(fmt::format("{}: no images to evaluate", f->data));
    report::ProgressBar bar;
    const auto result = detect::evaluate_dataset(detector, dataset, f->options, [&](int64_t done, int64_t total) {
      bar.update("evaluating", done, total);
    });
    bar.clear();
    fmt::print("{}: {} images, {} objects ({}), model {}\n", dataset.dir.string(), dataset.images.size(),
               dataset.num_objects(), data::to_string(dataset.format), model.weights.string());
    fmt::print("{}", detect::format_evaluation(result, detector.names()));
    if (!f->json.empty()) write_file_atomic(f->json, detect::evaluation_json(result, detector.names()).dump(2) + "\n");
  });
}

}  // namespace

fs::path shipped_detector_dir() {
  return shipped_file(TINT_INSTALL_DETECTOR_SUFFIX, TINT_SOURCE_DETECTOR_DIR,
                      "the shipped detector (Yolo-Fastest 1.1) was not found: pass --cfg, --weights and --names, or "
                      "--run DIR");
}

void add_detect(CLI::App& app, SharedFlags& shared) {
  struct Flags {
    std::vector<std::string> inputs;
    std::string out_dir = "detections", format = "jpg", resize = "stretch";
    ModelFlags model;
    detect::DetectOptions options;
    data::ReadOptions read;
    data::WriteOptions write;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "detect", "Find objects in images with a darknet YOLO model (default: Yolo-Fastest 1.1, 80 COCO classes); "
                "`detect evaluate` measures mAP, `detect train` fine-tunes");
  cmd->add_option("inputs", f->inputs, "Image files or folders of images (JPEG, PNG or WebP)");
  cmd->add_option("--out-dir", f->out_dir,
                  "Output folder: NAME.jpg gives NAME_detections.jpg (boxes drawn) and NAME_detections.json")
      ->capture_default_str();
  cmd->add_option("--format", f->format, "Format of the drawn images")
      ->check(CLI::IsMember({"png", "jpg"}))
      ->capture_default_str();
  cmd->add_option("--quality", f->write.jpeg_quality, "JPEG quality of .jpg outputs")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--max-pixels", f->read.max_pixels, "Refuse images with more pixels than this before decoding them")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  add_model_flags(*cmd, f->model);
  add_detect_options(*cmd, f->options, f->resize);
  add_threads_flag(*cmd, shared);
  add_detect_evaluate(*cmd, shared);
  add_detect_train(*cmd, shared);
  cmd->callback([f, &shared, cmd] {
    if (cmd->get_subcommands().size() > 0) return;  // `detect evaluate` / `detect train` ran instead
    apply_threads(shared);
    if (f->inputs.empty()) throw Error("detect: give image files or folders (or `detect evaluate`, `detect train`)");
    f->options.resize = detect::parse_resize_mode(f->resize);
    auto files = expand_inputs(f->inputs);
    if (files.empty()) throw Error("no images found in the given folders");
    const auto model = resolve_model(f->model);
    const auto detector = detect::Detector::from_files(model.cfg, model.weights, model.names);
    const auto input = detector.input_size(f->options);
    ensure_directory(f->out_dir);
    for_each_file(files, "detecting", [&](const fs::path& file) {
      const auto image = data::read_image(file, f->read);
      const auto found = detector.detect(image, f->options);
      const fs::path stem = fs::path(f->out_dir) / (file.stem().string() + "_detections");
      const fs::path picture = stem.string() + "." + f->format, json = stem.string() + ".json";
      data::write_image(picture, detect::draw_detections(image, found, detector.names()), f->write);
      write_file_atomic(json, detections_json(file, image, found, detector.names(), model, f->options, f->resize,
                                              input).dump(2) + "\n");
      return fmt::format("{}: {} -> {}", file.string(), summary(found, detector.names()), picture.string());
    });
  });
}

}  // namespace tint::cli
