// tint's darknet model against an independent reader of the same files: OpenCV's DNN module
// (cv2.dnn.readNetFromDarknet, Debian python3-opencv) run by tests/detect/opencv_reference.py on the very same input
// tensor, on real photos (the two sample images and five COCO128 images) for Yolo-Fastest 1.1 and 1.1-xl, and for
// yolov4-tiny and yolov3-tiny: their cfgs with generated weights (the architecture: route groups, maxpool of stride 1,
// upsample, scale_x_y) and, where the real .weights files are present, with those.
// Skips, saying why, without python3-opencv or the detection data. $TINT_PYTHON overrides the interpreter
// (default /usr/bin/python3, Debian's, which has cv2).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/detect/darknet_generated_weights.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/postprocess.h"

namespace tint::detect {
namespace darknet_opencv_test {
namespace {
using test::reference_python;
using test::shell_quote;
namespace fs = std::filesystem;

// Runs `command`, returning its stdout; fails the test (empty result) on a non-zero exit.
std::string run_reference(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return status == 0 ? out : std::string();
}

std::string reference_script() { return (test::source_dir() / "tests" / "detect" / "opencv_reference.py").string(); }

// The photos as network inputs: plain bilinear resize to size x size, RGB, / 255 (one tensor for both readers, so the
// resize does not matter for the comparison).
torch::Tensor photo_inputs(const fs::path& detection, int64_t size = 320) {
  std::vector<fs::path> photos = {detection / "samples" / "bus.jpg", detection / "samples" / "Cats_and_dog.jpg"};
  std::vector<fs::path> coco;
  for (const auto& entry : fs::directory_iterator(detection / "coco128" / "images")) coco.push_back(entry.path());
  std::sort(coco.begin(), coco.end());
  photos.insert(photos.end(), coco.begin(), coco.begin() + 5);
  std::vector<torch::Tensor> inputs;
  namespace F = torch::nn::functional;
  for (const auto& p : photos) {
    auto image = data::read_image(p).to(torch::kFloat).div_(255);
    if (image.size(0) == 1) image = image.repeat({3, 1, 1});
    inputs.push_back(F::interpolate(image.unsqueeze(0), F::InterpolateFuncOptions()
                                                            .size(std::vector<int64_t>{size, size})
                                                            .mode(torch::kBilinear)
                                                            .align_corners(false))
                         .squeeze(0));
  }
  return torch::stack(inputs).contiguous();
}

// The photos, both models and OpenCV's Python module.
#define TINT_SKIP_WITHOUT_OPENCV(dir_var)                                                                    \
  TINT_SKIP_WITHOUT_DETECTION_DATA(dir_var, "samples/bus.jpg", "samples/Cats_and_dog.jpg", "coco128/images", \
                                   "yolo-fastest-1.1/yolo-fastest-1.1.cfg",                                  \
                                   "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg");                              \
  TINT_SKIP_IF_MISSING(test::missing_python_cv2())

// Raw head outputs: the same numbers as OpenCV. Built with OpenCV's batchnorm epsilon (1e-6), tint's numbers agree
// with OpenCV's to within 1e-4 absolute (measured up to 4.7e-5, on values up to ~33: float32 rounding over ~100
// layers computed in different orders; OpenCV folds the batchnorm into its own convolution kernels). With darknet's
// epsilon (1e-5, the default) they differ by up to ~0.012 on these weights, whose smallest running variances are
// ~5e-4 (darknet_model.h): bounded below, and the scores (sigmoids) then differ by at most a quarter of that.
TEST(DarknetOpenCV, RawHeadOutputsMatchOpenCVOnRealPhotos) {
  TINT_SKIP_WITHOUT_OPENCV(detection);
  const auto input = photo_inputs(detection);
  test::TempDir tmp;
  write_file_atomic(tmp / "input.f32",
                    std::string_view(static_cast<const char*>(input.data_ptr()), input.numel() * sizeof(float)));
  for (const std::string name : {"yolo-fastest-1.1", "yolo-fastest-1.1-xl"}) {
    SCOPED_TRACE(name);
    const auto cfg = detection / "yolo-fastest-1.1" / (name + ".cfg");
    const auto weights = detection / "yolo-fastest-1.1" / (name + ".weights");
    const auto run_tint = [&](double epsilon) {
      DarknetModel model = build_darknet_model(cfg, epsilon);
      load_weights(*model, weights);
      model->eval();
      torch::NoGradGuard no_grad;
      return model->forward(input);
    };
    const auto ours = run_tint(kOpenCVBatchnormEpsilon);
    const auto darknets = run_tint(kDarknetBatchnormEpsilon);
    const auto out = tmp / (name + ".f32");
    const auto printed = run_reference(
        shell_quote(reference_python()) + " " + shell_quote(reference_script()) + " raw --cfg " +
        shell_quote(cfg.string()) + " --weights " + shell_quote(weights.string()) + " --input " +
        shell_quote((tmp / "input.f32").string()) + " --shape 7,3,320,320 --output " + shell_quote(out.string()));
    ASSERT_FALSE(printed.empty());
    const auto shapes = nlohmann::json::parse(printed).at("heads");
    ASSERT_EQ(shapes.size(), ours.size());
    const auto bytes = read_file(out);
    size_t offset = 0;
    for (size_t k = 0; k < ours.size(); ++k) {
      const auto shape = shapes[k].get<std::vector<int64_t>>();
      ASSERT_EQ(shape, ours[k].sizes().vec()) << "head " << k;
      auto theirs = torch::empty(shape, torch::kFloat);
      const size_t n = theirs.numel() * sizeof(float);
      ASSERT_LE(offset + n, bytes.size());
      std::memcpy(theirs.data_ptr(), bytes.data() + offset, n);
      offset += n;
      const double max_error = (ours[k] - theirs).abs().max().item<double>();
      const double darknet_error = (darknets[k] - theirs).abs().max().item<double>();
      const double score_error = (torch::sigmoid(darknets[k]) - torch::sigmoid(theirs)).abs().max().item<double>();
      const double magnitude = theirs.abs().max().item<double>();
      std::printf(
          "[ opencv   ] %s head %zu %s (values up to %.3g): max |tint - OpenCV| %.3g with OpenCV's epsilon; "
          "%.3g with darknet's (sigmoids %.3g)\n",
          name.c_str(), k, fmt::format("{}", fmt::join(shape, "x")).c_str(), magnitude, max_error, darknet_error,
          score_error);
      EXPECT_LT(max_error, 1e-4) << "head " << k << ", values up to " << magnitude;
      EXPECT_LT(darknet_error, 0.05) << "head " << k;
      EXPECT_LT(score_error, 0.01) << "head " << k;
    }
    EXPECT_EQ(offset, bytes.size());
  }
}

// The script's second mode, which the detection comparison uses: on bus.jpg at 320 x 320, 1.1-xl finds four
// persons and the bus, best scores 0.99, 0.98, 0.93, 0.90 (README of the detection data).
TEST(DarknetOpenCV, ReferenceScriptDetectsTheBusAsTheDataReadmeSays) {
  TINT_SKIP_WITHOUT_OPENCV(detection);
  const auto dir = detection / "yolo-fastest-1.1";
  const auto printed =
      run_reference(shell_quote(reference_python()) + " " + shell_quote(reference_script()) + " detect --cfg " +
                    shell_quote((dir / "yolo-fastest-1.1-xl.cfg").string()) + " --weights " +
                    shell_quote((dir / "yolo-fastest-1.1-xl.weights").string()) + " --image " +
                    shell_quote((detection / "samples" / "bus.jpg").string()) + " --conf 0.25 --nms 0.45");
  ASSERT_FALSE(printed.empty());
  const auto result = nlohmann::json::parse(printed);
  EXPECT_EQ(result.at("width"), 810);
  EXPECT_EQ(result.at("height"), 1080);
  const auto& found = result.at("detections");
  ASSERT_GE(found.size(), 4u);
  const std::vector<double> best = {0.99, 0.98, 0.93, 0.90};
  int persons = 0, buses = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    if (i < best.size()) {
      EXPECT_NEAR(found[i].at("score").get<double>(), best[i], 0.005) << i;
    }
    const int c = found[i].at("class").get<int>();
    persons += c == 0;
    buses += c == 5;
    EXPECT_LT(found[i].at("x1").get<double>(), found[i].at("x2").get<double>());
  }
  EXPECT_GE(persons, 4);
  EXPECT_EQ(buses, 1);
  EXPECT_EQ(found[2].at("class"), 5);  // the bus, third best
}

// Final detections of one photo's input (1, 3, H, W): tint's decoding, candidates and NMS (postprocess.h) on `model`
// against OpenCV's yolo layer and per-class cv2.dnn.NMSBoxes on `cfg` + `weights`, at conf 0.25 and NMS IoU 0.45.
// Every detection clear of the threshold (score >= 0.26) on either side must have a partner on the other of the same
// class with a score within 0.01 and a box IoU >= 0.99. Returns how many detections were compared.
int compare_final_detections(const DarknetModel& model, const fs::path& cfg, const fs::path& weights,
                             const torch::Tensor& input, const fs::path& tmp) {
  const auto file = tmp / "one.f32";
  write_file_atomic(file, std::string_view(static_cast<const char*>(input.data_ptr()), input.numel() * sizeof(float)));
  const auto printed =
      run_reference(shell_quote(reference_python()) + " " + shell_quote(reference_script()) + " detect --cfg " +
                    shell_quote(cfg.string()) + " --weights " + shell_quote(weights.string()) + " --input " +
                    shell_quote(file.string()) + " --shape " + fmt::format("{}", fmt::join(input.sizes(), ",")) +
                    " --conf 0.25 --nms 0.45 --classes all");
  if (printed.empty()) {
    ADD_FAILURE() << "the reference printed nothing";
    return 0;
  }
  std::vector<data::Detection> theirs;
  const auto reference = nlohmann::json::parse(printed);  // kept: a range-for over a temporary's member dangles
  for (const auto& d : reference.at("detections"))
    theirs.push_back(
        {{d.at("x1").get<float>(), d.at("y1").get<float>(), d.at("x2").get<float>(), d.at("y2").get<float>()},
         d.at("class").get<int>(),
         d.at("score").get<float>()});
  torch::NoGradGuard no_grad;
  PostprocessOptions options;
  options.conf = 0.25f;
  options.iou = 0.45f;
  options.max_detections = std::numeric_limits<int>::max();  // OpenCV keeps every one
  const auto ours = postprocess(model->forward(input), model->heads(), static_cast<int>(input.size(3)),
                                static_cast<int>(input.size(2)), options)[0];
  int compared = 0;
  const auto check = [&](const std::vector<data::Detection>& from, const std::vector<data::Detection>& in,
                         const char* side) {
    for (const auto& d : from) {
      if (d.score < 0.26f) continue;
      ++compared;
      const auto partner = std::find_if(in.begin(), in.end(), [&](const data::Detection& e) {
        return e.class_id == d.class_id && data::iou(e.box, d.box) >= 0.99f && std::abs(e.score - d.score) <= 0.01f;
      });
      EXPECT_NE(partner, in.end()) << side << " found class " << d.class_id << " score " << d.score << " at ("
                                   << d.box.x1 << ", " << d.box.y1 << ", " << d.box.x2 << ", " << d.box.y2
                                   << ") and the other reader nothing alike";
    }
  };
  check(ours, theirs, "tint");
  check(theirs, ours, "OpenCV");
  return compared;
}

// Final detections: tint's model as shipped (darknet's batchnorm epsilon) against OpenCV on each photo's same input
// tensor, for both models (compare_final_detections). Within 0.01 of the threshold a detection may exist on one side
// only: the two readers' scores differ by up to ~0.003 there.
TEST(DarknetOpenCV, FinalDetectionsMatchOpenCVOnRealPhotos) {
  TINT_SKIP_WITHOUT_OPENCV(detection);
  const auto inputs = photo_inputs(detection);
  test::TempDir tmp;
  int compared = 0;
  for (const std::string name : {"yolo-fastest-1.1", "yolo-fastest-1.1-xl"}) {
    const auto cfg = detection / "yolo-fastest-1.1" / (name + ".cfg");
    const auto weights = detection / "yolo-fastest-1.1" / (name + ".weights");
    DarknetModel model = build_darknet_model(cfg);
    load_weights(*model, weights);
    model->eval();
    for (int64_t i = 0; i < inputs.size(0); ++i) {
      SCOPED_TRACE(fmt::format("{}, photo {}", name, i));
      compared += compare_final_detections(model, cfg, weights, inputs.narrow(0, i, 1).contiguous(), tmp.path());
    }
  }
  EXPECT_GE(compared, 40);  // 14 photo-model pairs: the comparison must not pass by finding nothing
}

// ---- yolov4-tiny and yolov3-tiny (416 x 416) ----

// The raw heads of `model` (built with OpenCV's batchnorm epsilon) and of OpenCV's reading of `cfg` + `weights` on
// `input`: the largest absolute difference of each head, printed with the head's shape and largest value.
std::vector<double> raw_head_errors(const DarknetModel& model, const fs::path& cfg, const fs::path& weights,
                                    const torch::Tensor& input, const fs::path& tmp, const std::string& label) {
  write_file_atomic(tmp / "input.f32",
                    std::string_view(static_cast<const char*>(input.data_ptr()), input.numel() * sizeof(float)));
  std::vector<torch::Tensor> ours;
  {
    torch::NoGradGuard no_grad;
    ours = model->forward(input);
  }
  const auto out = tmp / "heads.f32";
  const auto printed =
      run_reference(shell_quote(reference_python()) + " " + shell_quote(reference_script()) + " raw --cfg " +
                    shell_quote(cfg.string()) + " --weights " + shell_quote(weights.string()) + " --input " +
                    shell_quote((tmp / "input.f32").string()) + " --shape " +
                    fmt::format("{}", fmt::join(input.sizes(), ",")) + " --output " + shell_quote(out.string()));
  if (printed.empty()) return {};
  const auto shapes = nlohmann::json::parse(printed).at("heads");
  EXPECT_EQ(shapes.size(), ours.size());
  const auto bytes = read_file(out);
  std::vector<double> errors;
  size_t offset = 0;
  for (size_t k = 0; k < ours.size() && k < shapes.size(); ++k) {
    const auto shape = shapes[k].get<std::vector<int64_t>>();
    EXPECT_EQ(shape, ours[k].sizes().vec()) << "head " << k;
    auto theirs = torch::empty(shape, torch::kFloat);
    const size_t n = theirs.numel() * sizeof(float);
    if (shape != ours[k].sizes().vec() || offset + n > bytes.size()) return {};
    std::memcpy(theirs.data_ptr(), bytes.data() + offset, n);
    offset += n;
    errors.push_back((ours[k] - theirs).abs().max().item<double>());
    std::printf("[ opencv   ] %s head %zu %s (values up to %.3g): max |tint - OpenCV| %.3g with OpenCV's epsilon\n",
                label.c_str(), k, fmt::format("{}", fmt::join(shape, "x")).c_str(), theirs.abs().max().item<double>(),
                errors.back());
  }
  EXPECT_EQ(offset, bytes.size());
  return errors;
}

// The two models' heads at 416 x 416: 255 = 3 anchors x (5 + 80 classes) channels at strides 32 and 16 (13 x 13 and
// 26 x 26), as darknet's cfgs say (AlexeyAB's cfg/yolov4-tiny.cfg and cfg/yolov3-tiny.cfg).
void expect_tiny_heads(const DarknetModel& model, const std::string& name) {
  ASSERT_EQ(model->heads().size(), 2u) << name;
  EXPECT_EQ(model->input_width(), 416);
  EXPECT_EQ(model->heads()[0].anchors, (std::vector<std::array<float, 2>>{{81, 82}, {135, 169}, {344, 319}}));
  const std::vector<std::array<float, 2>> small = name == "yolov4-tiny"
                                                      ? std::vector<std::array<float, 2>>{{23, 27}, {37, 58}, {81, 82}}
                                                      : std::vector<std::array<float, 2>>{{10, 14}, {23, 27}, {37, 58}};
  EXPECT_EQ(model->heads()[1].anchors, small);
  EXPECT_FLOAT_EQ(model->heads()[0].scale_x_y, name == "yolov4-tiny" ? 1.05f : 1.0f);
  const auto& out = model->layers();
  EXPECT_EQ(out[model->yolo_layers()[0]].out_height, 13);
  EXPECT_EQ(out[model->yolo_layers()[1]].out_height, 26);
  EXPECT_EQ(out[model->yolo_layers()[0]].out_channels, 255);
}

#define TINT_SKIP_WITHOUT_TINY_CFGS(dir_var)                                      \
  TINT_SKIP_WITHOUT_DETECTION_DATA(dir_var, "samples/bus.jpg", "coco128/images"); \
  TINT_SKIP_IF_MISSING(test::missing_python_cv2())

// The architectures, without their real weights: each cfg filled with generated weights (fill_generated_weights),
// written as a darknet file by tint and read by OpenCV from that file and the same cfg. Equal raw heads mean both
// readers build the same layers from the cfg (route groups / group_id, maxpool of stride 1 with darknet's padding,
// upsample, the routes' concatenation order) and put each weight where the other does. The activations keep
// values of order 1 (up to ~10) through the 20-odd layers, as real weights do; 1e-4 as for Yolo-Fastest.
TEST(DarknetOpenCV, TinyYoloArchitecturesMatchOpenCVWithGeneratedWeights) {
  TINT_SKIP_WITHOUT_TINY_CFGS(detection);
  const auto input = photo_inputs(detection, 416).narrow(0, 0, 3).contiguous();
  test::TempDir tmp;
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"}) {
    SCOPED_TRACE(name);
    const auto cfg = test::embedded_darknet_cfg(name);
    DarknetModel model = build_darknet_model(cfg, kOpenCVBatchnormEpsilon);
    expect_tiny_heads(model, name);
    fill_generated_weights(*model, 1);
    model->eval();
    const auto weights = tmp / (name + "-generated.weights");
    save_weights(*model, weights, WeightsHeader{});
    const auto errors = raw_head_errors(model, cfg, weights, input, tmp.path(), name + " (generated weights)");
    ASSERT_EQ(errors.size(), 2u);
    for (size_t k = 0; k < errors.size(); ++k) EXPECT_LT(errors[k], 1e-4) << "head " << k;
  }
}

// With the real weights (yolov4-tiny/yolov4-tiny.weights, yolov3-tiny/yolov3-tiny.weights in the detection data):
// raw heads within 1e-4 of OpenCV's with OpenCV's epsilon, and final detections as for Yolo-Fastest on bus.jpg,
// Cats_and_dog.jpg and a COCO128 photo at 416 x 416. The weights are not in the shared data (data/darknet/README.md
// says why), so this skips without them even under TINT_REQUIRE_DATA=1.
TEST(DarknetOpenCV, TinyYolosWithTheirRealWeightsMatchOpenCV) {
  TINT_SKIP_WITHOUT_TINY_CFGS(detection);
  std::vector<std::string> present, absent;
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"})
    (fs::exists(detection / name / (name + ".weights")) ? present : absent)
        .push_back((detection / name / (name + ".weights")).string());
  if (present.empty()) GTEST_SKIP() << "missing " << fmt::format("{}", fmt::join(absent, " and "));
  const auto inputs = photo_inputs(detection, 416).narrow(0, 0, 3).contiguous();
  test::TempDir tmp;
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"}) {
    const auto cfg = test::embedded_darknet_cfg(name);
    const auto weights = detection / name / (name + ".weights");
    if (!fs::exists(weights)) continue;
    SCOPED_TRACE(name);
    DarknetModel opencvs = build_darknet_model(cfg, kOpenCVBatchnormEpsilon);
    load_weights(*opencvs, weights);
    opencvs->eval();
    const auto errors = raw_head_errors(opencvs, cfg, weights, inputs, tmp.path(), name);
    ASSERT_EQ(errors.size(), 2u);
    for (size_t k = 0; k < errors.size(); ++k) EXPECT_LT(errors[k], 1e-4) << "head " << k;
    DarknetModel model = build_darknet_model(cfg);
    load_weights(*model, weights);
    model->eval();
    int compared = 0;
    for (int64_t i = 0; i < inputs.size(0); ++i) {
      SCOPED_TRACE(fmt::format("photo {}", i));
      compared += compare_final_detections(model, cfg, weights, inputs.narrow(0, i, 1).contiguous(), tmp.path());
    }
    EXPECT_GE(compared, 3);  // bus.jpg alone has the bus and persons: the comparison must not pass on nothing
  }
}

}  // namespace
}  // namespace darknet_opencv_test
}  // namespace tint::detect
