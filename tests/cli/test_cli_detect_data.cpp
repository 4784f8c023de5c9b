// `tint detect anchors` and `tint detect convert` end to end: on a small set built here (every clone) and on COCO128
// (detection data): the printed anchors and avg IoU, the written cfg that the shipped weights still load, and
// conversions YOLO -> COCO -> VOC -> YOLO whose boxes stay within the rounding each format writes. And `tint detect`
// and `tint export` given yolov4-tiny's and yolov3-tiny's cfgs (embedded in data/darknet/) with generated weights.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/detect/anchors.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_generated_weights.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/detector.h"

namespace tint::cli_detect_data_test {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

std::string q(const fs::path& p) { return test::shell_quote(p.string()); }

// Two images, boxes of two obvious sizes: 32x32 and 160x96 at the 320 x 320 input.
fs::path two_size_set(const fs::path& dir) {
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "labels");
  data::write_image(dir / "images" / "a.png", torch::zeros({3, 100, 200}, torch::kUInt8));
  data::write_image(dir / "images" / "b.png", torch::zeros({3, 50, 50}, torch::kUInt8));
  write_file_atomic(dir / "labels" / "a.txt", "0 0.2 0.2 0.1 0.1\n1 0.5 0.5 0.5 0.3\n");
  write_file_atomic(dir / "labels" / "b.txt", "0 0.8 0.8 0.1 0.1\n1 0.5 0.5 0.5 0.3\n");
  write_file_atomic(dir / "classes.names", "small\nlarge\n");
  return dir;
}

// `tint detect --cfg --weights --names` with another darknet model than the default: yolov4-tiny's and yolov3-tiny's
// cfgs (416 x 416 inputs) with generated weights (their real ones are not at hand). The binary's boxes
// on bus.jpg are the library's Detector's on the same photo and settings (the generated values find many boxes at
// conf 0.3, which makes the comparison a real one), and `tint export` writes the same model as ONNX.
TEST(CliDetectTinyYolos, DetectAndExportTakeTheirCfgs) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "samples/bus.jpg");
  test::TempDir tmp;
  const auto bus = data / "samples" / "bus.jpg";
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"}) {
    SCOPED_TRACE(name);
    const auto cfg = test::embedded_darknet_cfg(name), names = test::embedded_coco_names();
    const auto weights = tmp / (name + ".weights");
    {
      auto model = detect::build_darknet_model(cfg);
      detect::fill_generated_weights(*model, 1);
      detect::save_weights(*model, weights, detect::WeightsHeader{});
    }
    const auto out = tmp / name;
    auto r = run_tint("detect " + q(bus) + " --cfg " + q(cfg) + " --weights " + q(weights) + " --names " + q(names) +
                      " --conf 0.3 --out-dir " + q(out) + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(read_file(out / "bus_detections.json"));
    EXPECT_EQ(j.at("input").at("width"), 416);
    EXPECT_EQ(j.at("input").at("height"), 416);
    const auto detector = detect::Detector::from_files(cfg, weights, names);
    detect::DetectOptions options;
    options.post.conf = 0.3f;
    torch::set_num_threads(1);
    const auto want = detector.detect(data::read_image(bus), options);
    const auto& got = j.at("detections");
    ASSERT_EQ(got.size(), want.size());
    EXPECT_GE(want.size(), 3u);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].at("class_id").get<int>(), want[i].class_id) << i;
      EXPECT_NEAR(got[i].at("score").get<double>(), want[i].score, 1e-4) << i;
      EXPECT_NEAR(got[i].at("x1").get<double>(), want[i].box.x1, 0.01) << i;
      EXPECT_NEAR(got[i].at("y2").get<double>(), want[i].box.y2, 0.01) << i;
    }
    auto e = run_tint("export --cfg " + q(cfg) + " --weights " + q(weights) + " -o " + q(tmp / (name + ".onnx")));
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.out.find(name + ".onnx: " + name + ", 2 raw yolo heads"), std::string::npos) << e.out;
  }
}

TEST(CliDetectAnchors, TwoSizesGiveTwoAnchorsAndTheCfgIsWritten) {
  test::TempDir tmp;
  const auto set = two_size_set(tmp / "set");
  auto r = run_tint("detect anchors --data " + q(set) + " --num 2 --out " + q(tmp / "two.cfg"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 boxes in 2 images (YOLO), scaled to the 320 x 320 input"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anchors = 32,32, 160,96\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("avg IoU 100.00% (2 anchors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("masks 1 | 0"), std::string::npos) << r.out;
  const auto cfg = detect::read_cfg(tmp / "two.cfg");
  const auto anchors = detect::cfg_anchors(cfg);
  ASSERT_EQ(anchors.size(), 2u);
  EXPECT_EQ(anchors[1].w, 160);
  // --size scales the boxes to another input.
  auto s = run_tint("detect anchors --data " + q(set) + " --num 2 --size 640,160");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("anchors = 64,16, 320,48\n"), std::string::npos) << s.out;
  // Bad flags: one line, nothing written.
  for (const std::string& bad : {std::string(" --num 0"), std::string(" --num 5"), std::string(" --size 12x4"),
                                 " --out " + q(tmp / "x.cfg") + " --cfg " + q(tmp / "missing.cfg")}) {
    SCOPED_TRACE(bad);
    auto e = run_tint("detect anchors --data " + q(set) + bad);
    EXPECT_NE(e.exit_code, 0);
    EXPECT_EQ(test::count_lines(e.err), 1u) << e.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "x.cfg"));
}

// COCO128 at Yolo-Fastest's 320 x 320: k-means beats the cfg's own anchors on this data, the same seed prints the
// same, and the written cfg keeps the heads' shapes, so `tint detect` runs it with the shipped weights.
TEST(CliDetectAnchors, Coco128AnchorsBeatTheCfgsAndTheWeightsStillLoad) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "coco128");
  test::TempDir tmp;
  const std::string args = "detect anchors --data " + q(data / "coco128") + " --seed 1 --out " + q(tmp / "a.cfg");
  auto r = run_tint(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("929 boxes in 128 images (YOLO)"), std::string::npos) << r.out;
  const auto number_after = [&](const std::string& text, const std::string& key) {
    const auto at = text.find(key);
    EXPECT_NE(at, std::string::npos) << text;
    return std::stod(text.substr(at + key.size()));
  };
  const double fitted = number_after(r.out, "\navg IoU "),
               own = number_after(r.out, "(yolo-fastest-1.1.cfg): avg IoU ");
  EXPECT_GT(fitted, own);
  EXPECT_EQ(run_tint(args).out, r.out);
  const auto photo = test::test_photo("kodim12.jpg");
  auto d = run_tint("detect " + q(photo) + " --cfg " + q(tmp / "a.cfg") + " --weights " +
                    q(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.weights") + " --out-dir " + q(tmp / "d") +
                    " --threads 1");
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

// The boxes of two datasets, image by image, within `tolerance` pixels.
void expect_same_boxes(const data::DetectionDataset& a, const data::DetectionDataset& b, double tolerance) {
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    ASSERT_EQ(a.images[i].path.lexically_relative(a.dir), b.images[i].path.lexically_relative(b.dir));
    ASSERT_EQ(a.images[i].objects.size(), b.images[i].objects.size()) << a.images[i].path;
    for (size_t k = 0; k < a.images[i].objects.size(); ++k) {
      const auto &p = a.images[i].objects[k], &o = b.images[i].objects[k];
      EXPECT_EQ(p.class_id, o.class_id);
      EXPECT_NEAR(p.box.x1, o.box.x1, tolerance) << a.images[i].path;
      EXPECT_NEAR(p.box.y1, o.box.y1, tolerance) << a.images[i].path;
      EXPECT_NEAR(p.box.x2, o.box.x2, tolerance) << a.images[i].path;
      EXPECT_NEAR(p.box.y2, o.box.y2, tolerance) << a.images[i].path;
    }
  }
}

// COCO128 YOLO -> COCO -> VOC -> YOLO: the final boxes are the originals within 0.5 pixel (VOC's whole pixels) plus
// 1/1000 pixel (COCO) and 2 x 0.5e-6 of a side (YOLO's 6 decimals, 640 pixels at most here).
TEST(CliDetectConvert, Coco128RoundTripKeepsTheBoxes) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "coco128", "yolo-fastest-1.1/coco.names");
  test::TempDir tmp;
  const auto names = data::read_names(data / "yolo-fastest-1.1" / "coco.names");
  const auto original = data::read_detection_dataset(data / "coco128", names);
  std::string from = (data / "coco128").string();
  for (const char* format : {"coco", "voc", "yolo"}) {
    SCOPED_TRACE(format);
    const auto to = tmp / format;
    auto r = run_tint("detect convert --from " + q(from) + " --to " + q(to) + " --format " + format);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("128 images"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("929 objects, 80 classes"), std::string::npos) << r.out;
    EXPECT_EQ(data::read_names(to / "classes.names"), names);
    from = to.string();
  }
  const auto coco = data::read_detection_dataset(tmp / "coco", {});
  EXPECT_EQ(coco.format, data::LabelFormat::Coco);
  expect_same_boxes(original, coco, 1e-3);
  const auto back = data::read_detection_dataset(tmp / "yolo", names);
  EXPECT_EQ(back.format, data::LabelFormat::Yolo);
  expect_same_boxes(original, back, 0.5 + 1e-3 + 640 * 1e-6);
  // Into a folder that holds something: refused, one line, untouched.
  auto taken = run_tint("detect convert --from " + q(data / "coco128") + " --to " + q(tmp / "voc") + " --format coco");
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_EQ(test::count_lines(taken.err), 1u) << taken.err;
  EXPECT_NE(taken.err.find("already exists"), std::string::npos) << taken.err;
  EXPECT_FALSE(fs::exists(tmp / "voc" / "annotations" / "instances.json"));
}

TEST(CliDetectConvert, BadInputIsOneLine) {
  test::TempDir tmp;
  const auto set = two_size_set(tmp / "set");
  auto f = run_tint("detect convert --from " + q(set) + " --to " + q(tmp / "o") + " --format kitti");
  EXPECT_NE(f.exit_code, 0);
  EXPECT_EQ(test::count_lines(f.err), 1u) << f.err;
  write_file_atomic(set / "labels" / "b.txt", "0 0.8 0.8 0.1 0.1\n7 0.5 0.5 0.5 0.3\n");
  auto bad = run_tint("detect convert --from " + q(set) + " --to " + q(tmp / "o") + " --format coco");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(test::count_lines(bad.err), 1u) << bad.err;
  EXPECT_NE(bad.err.find("b.txt:2:"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(tmp / "o"));
}

}  // namespace
}  // namespace tint::cli_detect_data_test
