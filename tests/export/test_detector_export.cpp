// Darknet detectors exported to ONNX (export/detector_export.h): the shipped Yolo-Fastest 1.1 (and 1.1-xl from the
// detection data) on photos, and a small cfg that has every layer kind and activation the exporter writes, each
// checked by onnx's checker and run by OpenCV's DNN module (tests/export/onnx_reference.py) against tint's forward().
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <algorithm>

#include "onnx_reference.h"
#include "tint/core/atomic_file.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_generated_weights.h"
#include "tint/detect/darknet_weights.h"
#include "tint/detect/postprocess.h"
#include "tint/export/detector_export.h"

namespace tint::onnx_export {
namespace detector_export_test {
namespace {
namespace fs = std::filesystem;
using test::max_difference;
using test::run_onnx_reference;

// The test photos as detector inputs: RGB / 255, resized to side x side (bilinear; one tensor for both readers).
torch::Tensor detector_inputs(int64_t side) {
  std::vector<torch::Tensor> inputs;
  namespace F = torch::nn::functional;
  for (const std::string name : {"kodim06.jpg", "kodim12.jpg", "kodim14.jpg"}) {
    auto image = data::read_image(test::test_photo(name)).to(torch::kFloat).div_(255).unsqueeze(0);
    inputs.push_back(F::interpolate(image, F::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{side, side})
                                               .mode(torch::kBilinear)
                                               .align_corners(false)));
  }
  return torch::cat(inputs).contiguous();
}

// tint's heads and OpenCV's on `input`, each within 1e-4; the file's interface and metadata as the model says.
void expect_opencv_gives_the_heads(detect::DarknetModelImpl& model, const fs::path& file, const torch::Tensor& input,
                                   const std::string& label) {
  std::vector<torch::Tensor> ours;
  {
    torch::NoGradGuard no_grad;
    ours = model.forward(input);
  }
  const auto reference = run_onnx_reference(file, input);
  ASSERT_FALSE(reference.json.is_null());
  const auto& j = reference.json;
  EXPECT_EQ(j.at("opset"), kOpset);
  ASSERT_EQ(reference.outputs.size(), ours.size());
  ASSERT_EQ(j.at("outputs").size(), ours.size());
  EXPECT_EQ(j.at("inputs").at("image").dump(),
            nlohmann::json({"batch", model.input_channels(), model.input_height(), model.input_width()}).dump());
  const auto heads = nlohmann::json::parse(j.at("metadata").at("heads").get<std::string>());
  ASSERT_EQ(heads.size(), ours.size());
  for (size_t k = 0; k < ours.size(); ++k) {
    const auto& head = model.heads()[k];
    const auto name = "head" + std::to_string(k);
    EXPECT_EQ(j.at("outputs").at(name).dump(),
              nlohmann::json({"batch", ours[k].size(1), ours[k].size(2), ours[k].size(3)}).dump());
    EXPECT_EQ(heads[k].at("output"), name);
    EXPECT_EQ(heads[k].at("classes"), head.num_classes);
    ASSERT_EQ(heads[k].at("anchors").size(), head.anchors.size());
    for (size_t a = 0; a < head.anchors.size(); ++a) {
      EXPECT_EQ(heads[k].at("anchors")[a][0].get<float>(), head.anchors[a][0]);
      EXPECT_EQ(heads[k].at("anchors")[a][1].get<float>(), head.anchors[a][1]);
    }
    const double error = max_difference(ours[k].contiguous(), reference.outputs[k]);
    std::printf("[ onnx     ] %s head %zu: max |tint - OpenCV| %.3g (values up to %.3g)\n", label.c_str(), k, error,
                ours[k].abs().max().item<double>());
    // float32 sums in another order: a bound relative to the head's largest value (about 80 units in its last
    // place), not an absolute one: on an AVX2 CPU 1.1-xl's heads, up to 34, differ by 2.0e-4.
    EXPECT_LT(error, 1e-5 * std::max(1.0, ours[k].abs().max().item<double>())) << name;
  }
}

// The shipped Yolo-Fastest 1.1 (and 1.1-xl, when the detection data is here): the raw heads, as tint computes them
// with darknet's batchnorm epsilon, from OpenCV reading the ONNX file within 1e-4 on the photos.
TEST(DetectorExport, OpenCVGivesYoloFastestsRawHeadsOnPhotos) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  const auto dir = test::embedded_yolo_fastest_dir();
  test::TempDir tmp("tint-export");
  const auto file = tmp / "yolo-fastest-1.1.onnx";
  const auto summary =
      export_detector(dir / "yolo-fastest-1.1.cfg", dir / "yolo-fastest-1.1.weights", dir / "coco.names", file);
  EXPECT_EQ(summary.bytes, static_cast<int64_t>(fs::file_size(file)));
  EXPECT_EQ(summary.outputs, "2 raw yolo heads");
  auto model = detect::build_darknet_model(dir / "yolo-fastest-1.1.cfg");
  detect::load_weights(*model, dir / "yolo-fastest-1.1.weights");
  model->eval();
  expect_opencv_gives_the_heads(*model, file, detector_inputs(320), "yolo-fastest-1.1");

  const auto reference = run_onnx_reference(file);
  ASSERT_FALSE(reference.json.is_null());
  EXPECT_EQ(reference.json.at("nodes"), summary.nodes);
  EXPECT_EQ(reference.json.at("weights"), summary.weights);
  EXPECT_EQ(nlohmann::json::parse(reference.json.at("metadata").at("classes").get<std::string>()),
            nlohmann::json(data::read_names(dir / "coco.names")));
}

TEST(DetectorExport, OpenCVGivesYoloFastestXlsRawHeadsOnPhotos) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  TINT_SKIP_WITHOUT_DETECTION_DATA(detection, "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg",
                                   "yolo-fastest-1.1/yolo-fastest-1.1-xl.weights");
  const auto dir = detection / "yolo-fastest-1.1";
  test::TempDir tmp("tint-export");
  const auto file = tmp / "xl.onnx";
  export_detector(dir / "yolo-fastest-1.1-xl.cfg", dir / "yolo-fastest-1.1-xl.weights", {}, file);
  auto model = detect::build_darknet_model(dir / "yolo-fastest-1.1-xl.cfg");
  detect::load_weights(*model, dir / "yolo-fastest-1.1-xl.weights");
  model->eval();
  expect_opencv_gives_the_heads(*model, file, detector_inputs(320), "yolo-fastest-1.1-xl");
}

// yolov4-tiny and yolov3-tiny (their cfgs embedded in data/darknet/; their real weights are not at hand, see the
// README there): with generated weights written as a darknet file, the exported file gives tint's raw heads
// in OpenCV within 1e-4. Their route groups (Slice), maxpool of stride 1 (asymmetric Pad) and upsampling at 416 x 416.
TEST(DetectorExport, OpenCVGivesTinyYolosRawHeadsWithGeneratedWeights) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  test::TempDir tmp("tint-export");
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"}) {
    SCOPED_TRACE(name);
    const auto cfg = test::embedded_darknet_cfg(name);
    auto model = detect::build_darknet_model(cfg);
    detect::fill_generated_weights(*model, 1);
    model->eval();
    const auto weights = tmp / (name + ".weights");
    detect::save_weights(*model, weights, detect::WeightsHeader{});
    const auto file = tmp / (name + ".onnx");
    export_detector(cfg, weights, {}, file);
    expect_opencv_gives_the_heads(*model, file, detector_inputs(416), name + " (generated weights)");
  }
}

// Every layer kind and activation the exporter writes, in one small network with random weights and batchnorm
// statistics: grouped convolutions with and without batchnorm, leaky / relu / logistic / mish / swish / linear, a
// shortcut with its own activation, a route with groups, a route of two layers, an odd-padded max-pooling (darknet
// puts the extra row after), upsampling, two yolo heads.
constexpr const char* kEveryLayerCfg = R"([net]
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
groups=8
activation=mish

[convolutional]
batch_normalize=1
filters=8
size=1
stride=1
pad=1
activation=swish

[shortcut]
from=-3
activation=relu

[maxpool]
size=2
stride=1

[route]
layers=-1
groups=2
group_id=1

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=logistic

[dropout]
probability=.2

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask=3,4,5
anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319
classes=2
num=6

[route]
layers=-4

[upsample]
stride=2

[route]
layers=-1,4

[convolutional]
batch_normalize=1
filters=21
size=1
stride=1
pad=1
activation=linear

[yolo]
mask=0,1,2
anchors=10,14, 23,27, 37,58, 81,82, 135,169, 344,319
classes=2
num=6
)";

TEST(DetectorExport, EveryLayerKindMatchesOpenCV) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  torch::manual_seed(34);
  detect::DarknetModel model(detect::parse_cfg(kEveryLayerCfg, "every-layer.cfg"));
  {
    torch::NoGradGuard no_grad;
    for (auto& m : model->modules()) {
      if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
        bn->running_mean.uniform_(-0.5, 0.5);
        bn->running_var.uniform_(0.3, 2.0);
        bn->weight.uniform_(-1.5, 1.5);
        bn->bias.uniform_(-0.5, 0.5);
      }
    }
  }
  model->eval();
  {
    // Weights in the model's memory format (channels-last) as after a forward pass, whose storage order is not ONNX's.
    torch::NoGradGuard no_grad;
    model->forward(torch::zeros({1, 3, 64, 64}));
  }
  DetectorInfo info;
  info.name = "every-layer";
  info.source = "test";
  ExportSummary summary;
  const auto bytes = detector_onnx(*model, info, summary);
  test::TempDir tmp("tint-export");
  write_file_atomic(tmp / "every-layer.onnx", bytes);
  const auto reference = run_onnx_reference(tmp / "every-layer.onnx");
  ASSERT_FALSE(reference.json.is_null());
  // Each exporter's operators are there (a layer kind left out of the cfg would leave a gap here).
  for (const std::string op : {"Conv", "LeakyRelu", "Softplus", "Tanh", "Mul", "Sigmoid", "Add", "Relu", "MaxPool",
                               "Slice", "Resize", "Concat"})
    EXPECT_TRUE(reference.json.at("ops").contains(op)) << op << " in " << reference.json.at("ops").dump();
  expect_opencv_gives_the_heads(*model, tmp / "every-layer.onnx", detector_inputs(64), "every-layer");
}

// --decode: darknet's decoding inside the graph. OpenCV's boxes and scores are tint's (detect::decode) within 1e-4
// (boxes relative to their size in pixels), and after the same candidates (conf 0.25) and NMS (IoU 0.45) OpenCV's
// outputs give the detections tint's postprocess gives on each photo: the same classes and boxes, scores within 1e-4.
TEST(DetectorExport, DecodedOutputsGiveTintsDetections) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  const auto dir = test::embedded_yolo_fastest_dir();
  test::TempDir tmp("tint-export");
  const auto file = tmp / "decoded.onnx";
  const auto summary = export_detector(dir / "yolo-fastest-1.1.cfg", dir / "yolo-fastest-1.1.weights",
                                       dir / "coco.names", file, /*decode=*/true);
  EXPECT_EQ(summary.outputs, "2 raw yolo heads, decoded boxes and scores");
  auto model = detect::build_darknet_model(dir / "yolo-fastest-1.1.cfg");
  detect::load_weights(*model, dir / "yolo-fastest-1.1.weights");
  model->eval();
  const auto input = detector_inputs(320);
  std::vector<torch::Tensor> raw;
  {
    torch::NoGradGuard no_grad;
    raw = model->forward(input);
  }
  std::vector<torch::Tensor> boxes, scores;
  for (size_t k = 0; k < raw.size(); ++k) {
    const auto d = detect::decode(raw[k], model->heads()[k], 320, 320);
    boxes.push_back(d.boxes);
    scores.push_back(d.class_probs * d.objectness.unsqueeze(2));
  }
  const auto our_boxes = torch::cat(boxes, 1), our_scores = torch::cat(scores, 1);
  const auto reference = run_onnx_reference(file, input);
  ASSERT_EQ(reference.outputs.size(), 4u);  // head0, head1, boxes, scores
  const auto& their_boxes = reference.outputs[2];
  const auto& their_scores = reference.outputs[3];
  ASSERT_EQ(their_boxes.sizes(), our_boxes.sizes());
  ASSERT_EQ(their_scores.sizes(), our_scores.sizes());
  const double box_error = ((our_boxes - their_boxes).abs() / our_boxes.abs().clamp_min(1)).max().item<double>();
  const double score_error = max_difference(our_scores, their_scores);
  std::printf(
      "[ onnx     ] decoded yolo-fastest-1.1: boxes %lld x 4, max relative |tint - OpenCV| %.3g; scores max "
      "|tint - OpenCV| %.3g\n",
      static_cast<long long>(our_boxes.size(1)), box_error, score_error);
  // A box's size is exp(raw) times its anchor: the raw heads' difference (within 1e-5 of their largest value, 28.5)
  // becomes that relative error. 1.1e-4 measured on an AVX2 CPU.
  EXPECT_LT(box_error, 3e-4);
  EXPECT_LT(score_error, 1e-4);

  detect::PostprocessOptions options;
  const auto ours = detect::postprocess(raw, model->heads(), 320, 320, options);
  int found = 0;
  for (int64_t i = 0; i < input.size(0); ++i) {
    // OpenCV's scores are the products already: objectness 1 makes candidates() keep them as they are.
    detect::DecodedHead decoded{their_boxes, torch::ones({their_boxes.size(0), their_boxes.size(1)}), their_scores};
    auto theirs = detect::nms(detect::candidates({decoded}, i, options.conf), options.iou);
    if (static_cast<int>(theirs.size()) > options.max_detections) theirs.resize(options.max_detections);
    ASSERT_EQ(theirs.size(), ours[i].size()) << "photo " << i;
    for (size_t k = 0; k < theirs.size(); ++k) {
      EXPECT_EQ(theirs[k].class_id, ours[i][k].class_id) << "photo " << i << " detection " << k;
      EXPECT_NEAR(theirs[k].score, ours[i][k].score, 1e-4) << "photo " << i << " detection " << k;
      EXPECT_NEAR(theirs[k].box.x1, ours[i][k].box.x1, 1e-3);
      EXPECT_NEAR(theirs[k].box.y1, ours[i][k].box.y1, 1e-3);
      EXPECT_NEAR(theirs[k].box.x2, ours[i][k].box.x2, 1e-3);
      EXPECT_NEAR(theirs[k].box.y2, ours[i][k].box.y2, 1e-3);
    }
    found += static_cast<int>(theirs.size());
  }
  std::printf("[ onnx     ] decoded yolo-fastest-1.1: %d detections on the 3 photos, the same as tint's\n", found);
  EXPECT_GT(found, 0) << "no detection on the photos: the comparison would be empty";
}

TEST(DetectorExportErrors, MissingWeightsAreNamedAndNothingIsWritten) {
  const auto dir = test::embedded_yolo_fastest_dir();
  test::TempDir tmp("tint-export");
  const auto message = test::error_of(
      [&] { export_detector(dir / "yolo-fastest-1.1.cfg", tmp / "missing.weights", {}, tmp / "out.onnx"); });
  EXPECT_NE(message.find((tmp / "missing.weights").string()), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
}

// A cfg without a [yolo] layer has no head to export: the model's own error, naming the file, and nothing written.
TEST(DetectorExportErrors, ANetworkWithoutYoloLayersIsRefused) {
  test::TempDir tmp("tint-export");
  test::write_bytes(tmp / "headless.cfg",
                    "[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\nstride=1\npad=1\n"
                    "activation=leaky\n");
  const auto dir = test::embedded_yolo_fastest_dir();
  EXPECT_EQ(test::error_of(
                [&] { export_detector(tmp / "headless.cfg", dir / "yolo-fastest-1.1.weights", {}, tmp / "out.onnx"); }),
            (tmp / "headless.cfg").string() + ": the network has no [yolo] layer");
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
}

}  // namespace
}  // namespace detector_export_test
}  // namespace tint::onnx_export
