// `tint detect`, `tint detect evaluate`: flags from the detection library's settings rows (detect_settings.h) and
// the image-file rows (data/image_settings.h); the work and the JSON are the library's.
#include <algorithm>

#include <fmt/core.h>

#include "commands.h"
#include "settings_flags.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/image_settings.h"
#include "tint/detect/detect_settings.h"
#include "tint/detect/detection_json.h"
#include "tint/detect/detector.h"
#include "tint/detect/draw_detections.h"
#include "tint/detect/evaluate_dataset.h"
#include "tint/media/detect_video.h"
#include "tint/report/plot.h"
#include "tint/report/progress.h"
#include "tint/video/video_settings.h"
#include "tint/video/video_writer.h"

namespace tint::cli {
namespace fs = std::filesystem;

namespace {

// --run, or --cfg/--weights/--names (the rows of detect::detector_choice_settings()).
void add_detector_flags(CLI::App& cmd, detect::DetectorChoice& choice) {
  add_settings(cmd, detect::detector_choice_settings(), choice);
  auto* run = cmd.get_option("--run");
  for (const char* file : {"--cfg", "--weights", "--names"}) cmd.get_option(file)->excludes(run);
}

detect::DetectorFiles detector_files(const detect::DetectorChoice& choice) {
  return detect::detector_files(choice, choice.run.empty() ? shipped_detector_dir() : fs::path());
}

// A fine-tuned model sees photos resampled as its run trained (unless --resample says otherwise).
void resample_as_run(const CLI::App& cmd, const detect::DetectorChoice& choice, detect::Resample& resample) {
  if (!choice.run.empty() && cmd.count("--resample") == 0) resample = detect::run_resample(choice.run);
}

void add_detect_evaluate(CLI::App& detect, SharedFlags& shared) {
  struct Flags {
    std::string data, images, json, confusion;
    detect::DetectorChoice model;
    detect::DatasetEvaluationOptions options = detect::default_evaluation_options();
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = detect.add_subcommand(
      "evaluate",
      "COCO's mAP@0.5, mAP@0.5:0.95, AP by object size and AR@1/10/100; per class AP, P, R, F1, TP, FP, FN; a "
      "confusion matrix");
  cmd->add_option("--data", f->data, "Dataset folder: images/ with labels/ (YOLO txt) or annotations/ (Pascal VOC XML)")
      ->required();
  cmd->add_option("--images", f->images,
                  "Evaluate only the images this file lists (one name per line, or a CSV with a filename column)");
  cmd->add_option("--json", f->json,
                  "Also write the evaluation (per class and overall, and the confusion matrix) to this JSON file");
  cmd->add_option("--confusion-matrix", f->confusion,
                  "Also draw the confusion matrix at --conf and IoU 0.5 into this PNG (with its .csv and .gp beside "
                  "it; needs gnuplot)");
  add_detector_flags(*cmd, f->model);
  add_settings(*cmd, detect::evaluation_settings(), f->options);
  add_threads_flag(*cmd, shared);
  cmd->callback([f, &shared, cmd] {
    apply_threads(shared);
    // Before the evaluation's minutes, not after them.
    if (!f->confusion.empty() && !report::gnuplot_available())
      throw Error(fmt::format("--confusion-matrix {}: gnuplot is not installed (Debian: apt-get install gnuplot-nox)",
                              f->confusion));
    const auto model = detector_files(f->model);
    resample_as_run(*cmd, f->model, f->options.detect.resample);
    const auto detector = detect::Detector::from_files(model.cfg, model.weights, model.names);
    data::DetectionDatasetOptions data_options;
    data_options.image_list = f->images;
    const auto dataset = data::read_detection_dataset(f->data, detector.names(), data_options);
    if (dataset.images.empty()) throw Error(fmt::format("{}: no images to evaluate", f->data));
    report::ProgressBar bar;
    const auto result = detect::evaluate_dataset(
        detector, dataset, f->options, [&](int64_t done, int64_t total) { bar.update("evaluating", done, total); });
    bar.clear();
    fmt::print("{}: {} images, {} objects ({}), model {}\n", dataset.dir.string(), dataset.images.size(),
               dataset.num_objects(), data::to_string(dataset.format), model.weights.string());
    fmt::print("{}", detect::format_evaluation(result, detector.names()));
    if (!f->json.empty()) write_file_atomic(f->json, detect::evaluation_json(result, detector.names()).dump(2) + "\n");
    if (!f->confusion.empty()) detect::plot_confusion_matrix(f->confusion, result.confusion, detector.names());
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
    std::string out_dir = "detections";
    bool save_labels = false;
    int nproc = 0;
    detect::DetectorChoice model;
    detect::DetectOptions options;
    media::VideoDetectOptions video;  // --track rows and --crf / --preset; its detect options are `options`
    data::ImageFileOptions files = [] {
      data::ImageFileOptions o;
      o.format = "jpg";
      return o;
    }();
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "detect",
      "Find objects in images with a darknet YOLO model (default: Yolo-Fastest 1.1, 80 COCO classes); "
      "`detect evaluate` measures mAP, `detect train` fine-tunes, `detect anchors` and `detect convert` prepare data");
  cmd->add_option("inputs", f->inputs,
                  "Image files (JPEG, PNG or WebP), videos (.mp4, .mkv, .webm, .mov, .avi), or folders of them");
  cmd->add_option("--out-dir", f->out_dir,
                  "Output folder: NAME.jpg gives NAME_detections.jpg (boxes drawn) and NAME_detections.json; NAME.mp4 "
                  "gives NAME_detections.mp4, NAME_detections.jsonl (a line per frame) and NAME_detections.mot.txt")
      ->capture_default_str();
  cmd->add_flag("--save-labels", f->save_labels,
                "Also write NAME.txt in --out-dir: the detections as YOLO labels (class cx cy w h, normalised, 6 "
                "decimals), to correct and then fine-tune on");
  add_settings(*cmd, data::image_file_settings(), f->files);
  add_settings(*cmd, media::video_detect_settings(), f->video);
  add_settings(*cmd, video::video_write_settings(), f->video.write);
  add_detector_flags(*cmd, f->model);
  add_settings(*cmd, detect::detect_settings(), f->options);
  add_threads_flag(*cmd, shared);
  add_nproc_flag(*cmd, f->nproc, kFilesNprocHelp);
  add_detect_evaluate(*cmd, shared);
  add_detect_train(*cmd, shared);
  add_detect_data_tools(*cmd);
  cmd->callback([f, &shared, cmd] {
    if (cmd->get_subcommands().size() > 0) return;  // `detect evaluate` / `train` / `anchors` / `convert` ran instead
    if (f->inputs.empty()) {
      throw Error("detect: give image or video files or folders (or `detect evaluate`, `train`, `anchors`, `convert`)");
    }
    auto files = expand_inputs(f->inputs, /*with_videos=*/true);
    if (files.empty()) throw Error("no images or videos found in the given folders");
    const auto model = detector_files(f->model);
    resample_as_run(*cmd, f->model, f->options.resample);
    const auto detector = detect::Detector::from_files(model.cfg, model.weights, model.names);
    const auto input = detector.input_size(f->options);
    ensure_directory(f->out_dir);
    // Everything above runs in this process and in every worker (--nproc), which checks the flags before any starts.
    for_each_file_on_workers(shared, f->nproc, files, "detecting", [&](const fs::path& file) {
      if (video::is_video_name(file)) {
        auto options = f->video;
        options.detect = f->options;
        // ByteTrack's second stage matches the low-scoring boxes (down to its low threshold, 0.1) to the tracks:
        // the detector must hand them over.
        if (options.track) options.detect.post.conf = std::min(options.detect.post.conf, options.tracking.low_thresh);
        const std::string stem = (fs::path(f->out_dir) / (file.stem().string() + "_detections")).string();
        const media::VideoDetectFiles out{stem + video::default_video_extension(file), stem + ".jsonl",
                                          stem + ".mot.txt"};
        report::ProgressBar bar;
        const auto done = media::detect_video(detector, file, out, options, [&](int64_t frames, int64_t total) {
          bar.update(file.filename().string(), frames, total, "frames");
        });
        bar.clear();
        return fmt::format("{}: {} frames, {} boxes{} -> {} ({})", file.string(), done.frames, done.boxes,
                           options.track ? fmt::format(", {} identities", done.tracks) : "", out.video.string(),
                           done.stages.describe("detecting"));
      }
      const auto image = data::read_image(file, f->files.read);
      const auto found = detector.detect(image, f->options);
      const fs::path stem = fs::path(f->out_dir) / (file.stem().string() + "_detections");
      const fs::path picture = stem.string() + "." + f->files.format, json = stem.string() + ".json";
      data::write_image(picture, detect::draw_detections(image, found, detector.names()), f->files.write);
      const detect::DetectionContext context{file,          image.size(2), image.size(1), model.cfg,
                                             model.weights, input,         f->options};
      write_file_atomic(json, detect::detections_json(found, detector.names(), context).dump(2) + "\n");
      if (f->save_labels) {
        std::vector<data::LabelledBox> labels;
        for (const auto& d : found) labels.push_back({d.box, d.class_id, false});
        write_file_atomic(fs::path(f->out_dir) / (file.stem().string() + ".txt"),
                          data::format_yolo_labels(labels, int(image.size(2)), int(image.size(1))));
      }
      return fmt::format("{}: {} -> {}", file.string(), detect::detection_summary(found, detector.names()),
                         picture.string());
    });
  });
}

}  // namespace tint::cli
