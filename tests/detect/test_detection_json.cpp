// What `tint detect` writes beside each drawn photo (NAME_detections.json) and prints for it, built by the library
// (detect/detection_json.h): every field, boxes in the order found, and the summary's order.
#include <gtest/gtest.h>

#include <stdexcept>

#include "support/test_support.h"
#include "tint/detect/detect_settings.h"
#include "tint/detect/detection_json.h"

namespace tint::detect {
namespace {
namespace detection_json_tests {

using data::Detection;

const std::vector<std::string> kNames = {"person", "bicycle", "car", "motorbike", "aeroplane", "bus"};

DetectionContext context() {
  DetectionContext c;
  c.image = "photos/street.jpg";
  c.width = 810;
  c.height = 1080;
  c.cfg = "model.cfg";
  c.weights = "model.weights";
  c.input = {320, 320};
  c.options.resize = ResizeMode::letterbox;
  c.options.resample = Resample::antialias;
  c.options.post.conf = 0.4f;
  c.options.post.iou = 0.45f;
  return c;
}

TEST(DetectionJson, HoldsThePhotoTheModelTheSettingsAndEveryBox) {
  const std::vector<Detection> found = {{{10.5f, 20.0f, 110.25f, 300.0f}, 0, 0.9f}, {{400, 50, 800, 420}, 5, 0.5f}};
  const auto j = detections_json(found, kNames, context());
  EXPECT_EQ(j.at("image"), "photos/street.jpg");
  EXPECT_EQ(j.at("width"), 810);
  EXPECT_EQ(j.at("height"), 1080);
  EXPECT_EQ(j.at("model"), (nlohmann::json{{"cfg", "model.cfg"}, {"weights", "model.weights"}}));
  EXPECT_EQ(j.at("input"),
            (nlohmann::json{{"width", 320}, {"height", 320}, {"resize", "letterbox"}, {"resample", "antialias"}}));
  // The settings as the float the detector used (what the binary has always written).
  EXPECT_EQ(j.at("conf").get<double>(), static_cast<double>(0.4f));
  EXPECT_EQ(j.at("iou").get<double>(), static_cast<double>(0.45f));
  ASSERT_EQ(j.at("detections").size(), 2u);
  const auto& person = j.at("detections")[0];
  EXPECT_EQ(person.at("class"), "person");
  EXPECT_EQ(person.at("class_id"), 0);
  EXPECT_EQ(person.at("score").get<double>(), static_cast<double>(0.9f));
  EXPECT_EQ(person.at("x1").get<double>(), 10.5);
  EXPECT_EQ(person.at("y1").get<double>(), 20.0);
  EXPECT_EQ(person.at("x2").get<double>(), 110.25);
  EXPECT_EQ(person.at("y2").get<double>(), 300.0);
  EXPECT_EQ(j.at("detections")[1].at("class"), "bus");
  EXPECT_EQ(j.size(), 8u);  // nothing else
  // Nothing found: an empty list, not a missing one.
  EXPECT_TRUE(detections_json({}, kNames, context()).at("detections").is_array());
  // A class id the names do not cover is an error, not a wrong name.
  EXPECT_THROW(detections_json({{{0, 0, 1, 1}, 6, 0.5f}}, kNames, context()), std::out_of_range);
}

TEST(DetectionJson, SummaryCountsClassesMostFrequentFirst) {
  EXPECT_EQ(detection_summary({}, kNames), "nothing");
  const Detection bus{{0, 0, 1, 1}, 5, 0.9f}, person{{0, 0, 1, 1}, 0, 0.8f}, car{{0, 0, 1, 1}, 2, 0.7f};
  EXPECT_EQ(detection_summary({bus, person, person, person, person}, kNames), "4 person, 1 bus");
  // Ties keep class order, whatever order the boxes came in.
  EXPECT_EQ(detection_summary({bus, car, person}, kNames), "1 person, 1 car, 1 bus");
  EXPECT_EQ(detection_summary({car, bus, bus, car, person}, kNames), "2 car, 2 bus, 1 person");
}

// The detection flags' rows: the ranges `tint detect` and `detect evaluate` share, and --resize spelled as before.
TEST(DetectSettings, RowsRefuseOutOfRangeValuesNamingTheFlag) {
  DetectOptions o;
  const auto row = [](const std::string& flag) { return find_setting(detect_settings(), flag); };
  row("conf")->parse(o, "0.4");
  EXPECT_EQ(o.post.conf, 0.4f);
  EXPECT_EQ(row("conf")->show(o), "0.4");
  EXPECT_EQ(row("iou")->show(DetectOptions{}), "0.45");  // the float's shortest text, as help shows the default
  row("resize")->parse(o, "letterbox");
  EXPECT_EQ(o.resize, ResizeMode::letterbox);
  EXPECT_EQ(test::error_of([&] { row("conf")->parse(o, "2"); }), "--conf must be a number in 0..1, got 2");
  EXPECT_EQ(test::error_of([&] { row("iou")->parse(o, "-0.5"); }), "--iou must be a number in 0..1, got -0.5");
  EXPECT_EQ(test::error_of([&] { row("size")->parse(o, "4097"); }), "--size must be in 0..4096, got 4097");
  EXPECT_EQ(test::error_of([&] { row("resize")->parse(o, "crop"); }),
            "--resize must be one of stretch, letterbox, got 'crop'");
  EXPECT_EQ(DetectOptions{}.resample, Resample::darknet);  // as the model was trained (docs/detection.md)
  row("resample")->parse(o, "antialias");
  EXPECT_EQ(o.resample, Resample::antialias);
  EXPECT_EQ(row("resample")->show(o), "antialias");
  EXPECT_EQ(test::error_of([&] { row("resample")->parse(o, "nearest"); }),
            "--resample must be one of darknet, antialias, got 'nearest'");
  // detect evaluate's rows are detect's, but for --conf (where precision and recall are counted).
  for (const char* flag : {"size", "resize", "resample", "iou"}) {
    EXPECT_EQ(find_setting(evaluation_settings(), flag)->help, row(flag)->help) << flag;
  }
  DatasetEvaluationOptions e = default_evaluation_options();
  find_setting(evaluation_settings(), "conf")->parse(e, "0.5");
  EXPECT_EQ(e.report_conf, 0.5f);
  EXPECT_EQ(e.detect.post.conf, default_evaluation_options().detect.post.conf);
}

TEST(DetectSettings, DetectorFilesFromARunTheShippedModelOrGivenFiles) {
  const auto run = detector_files({"runs/raccoon", "", "", ""}, "");
  EXPECT_EQ(run.cfg, "runs/raccoon/model.cfg");
  EXPECT_EQ(run.weights, "runs/raccoon/model.weights");
  EXPECT_EQ(run.names, "runs/raccoon/classes.names");
  const auto shipped = detector_files({}, "share/yolo");
  EXPECT_EQ(shipped.cfg, "share/yolo/yolo-fastest-1.1.cfg");
  EXPECT_EQ(shipped.names, "share/yolo/coco.names");
  const auto given = detector_files({"", "a.cfg", "a.weights", ""}, "share/yolo");
  EXPECT_EQ(given.cfg, "a.cfg");
  EXPECT_EQ(given.weights, "a.weights");
  EXPECT_EQ(given.names, "share/yolo/coco.names");
  EXPECT_EQ(test::error_of([] {
              detector_files({"", "a.cfg", "", ""}, "share/yolo");
            }),
            "--cfg and --weights go together");
}

}  // namespace detection_json_tests
}  // namespace
}  // namespace tint::detect
