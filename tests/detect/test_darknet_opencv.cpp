// tint's darknet model against an independent reader of the same files: OpenCV's DNN module
// (cv2.dnn.readNetFromDarknet, Debian python3-opencv) run by tests/detect/opencv_reference.py on the very same input
// tensor, on real photos (the two sample images and five COCO128 images) for Yolo-Fastest 1.1 and 1.1-xl.
// Skips, saying why, without python3-opencv or the detection data. $TINT_PYTHON overrides the interpreter
// (default /usr/bin/python3, Debian's, which has cv2).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
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

// The photos as network inputs: plain bilinear resize to 320 x 320, RGB, / 255 (one tensor for both readers, so the
// resize does not matter for the comparison).
torch::Tensor photo_inputs(const fs::path& detection) {
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
                                                            .size(std::vector<int64_t>{320, 320})
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

// Final detections: tint's decoding, candidates and NMS (postprocess.h) on tint's own model (darknet's batchnorm
// epsilon, as shipped) against OpenCV's yolo layer and per-class cv2.dnn.NMSBoxes, on each photo's same input tensor,
// for both models, at conf 0.25 and NMS IoU 0.45. Every detection clear of the threshold (score >= 0.26) on either side
// has a partner on the other of the same class with a score within 0.01 and a box IoU >= 0.99. Within 0.01 of the
// threshold a detection may exist on one side only: the two readers' scores differ by up to ~0.003 there.
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
      const auto input = inputs.narrow(0, i, 1).contiguous();
      const auto file = tmp / "one.f32";
      write_file_atomic(file,
                        std::string_view(static_cast<const char*>(input.data_ptr()), input.numel() * sizeof(float)));
      const auto printed =
          run_reference(shell_quote(reference_python()) + " " + shell_quote(reference_script()) + " detect --cfg " +
                        shell_quote(cfg.string()) + " --weights " + shell_quote(weights.string()) + " --input " +
                        shell_quote(file.string()) + " --shape 1,3,320,320 --conf 0.25 --nms 0.45 --classes all");
      ASSERT_FALSE(printed.empty());
      std::vector<data::Detection> theirs;
      const auto reference = nlohmann::json::parse(printed);  // kept: the loop below reads into it
      for (const auto& d : reference.at("detections"))
        theirs.push_back(
            {{d.at("x1").get<float>(), d.at("y1").get<float>(), d.at("x2").get<float>(), d.at("y2").get<float>()},
             d.at("class").get<int>(),
             d.at("score").get<float>()});
      torch::NoGradGuard no_grad;
      PostprocessOptions options;
      options.conf = 0.25f;
      options.iou = 0.45f;
      const auto ours = postprocess(model->forward(input), model->heads(), 320, 320, options)[0];
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
    }
  }
  EXPECT_GE(compared, 40);  // 14 photo-model pairs: the comparison must not pass by finding nothing
}

}  // namespace
}  // namespace darknet_opencv_test
}  // namespace tint::detect
