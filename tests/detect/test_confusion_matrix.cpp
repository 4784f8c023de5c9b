// The confusion matrix with a background class (detect/confusion_matrix.h): YOLOv5's matching worked by hand (its
// one-to-one rule that leaves a detection unmatched rather than trying its second-best truth, the strict IoU
// threshold, the confidence), its JSON, the classes a picture shows and the picture itself (gnuplot).
#include <algorithm>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/detect/average_precision.h"
#include "tint/detect/confusion_matrix.h"
#include "tint/report/plot.h"

namespace tint::detect {
namespace {

using data::Box;
using data::Detection;
using data::LabelledBox;
using Detections = std::vector<std::vector<Detection>>;
using Truths = std::vector<std::vector<LabelledBox>>;

LabelledBox truth_of(Box b, int cls, bool difficult = false) { return {b, cls, difficult}; }
Detection found(Box b, float score, int cls) { return {b, cls, score}; }

constexpr int kCat = 0, kDog = 1, kBackground = 2;

// Three images, classes cat and dog, conf 0.25, IoU 0.5.
// Image 0: truths cat A, dog B, dog C. Detections: cat on A 0.9 (cat, cat); cat on B 0.8 (dog, cat); dog far from
//   everything 0.7 (background, dog); dog on C 0.1, below conf, so C is missed (dog, background).
// Image 1 (YOLOv5's one-to-one rule): truths cat T1 = 0,0,10,10 and dog T2 = 0,0,10,5.4. Detections cat D1 =
//   0,0,10,9 (IoU 0.9 with T1, 54 / 90 = 0.6 with T2) and dog D2 = 0,0,10,9.5 (0.95 with T1, 54 / 95 = 0.57 with
//   T2). Each detection keeps its best pair: D1-T1 0.9, D2-T1 0.95; then T1 keeps D2: (cat, dog). D1 is left
//   unmatched, not tried on T2: (background, cat); T2 missed: (dog, background). (Greedy matching would pair D1-T2.)
// Image 2: truth cat 0,0,10,10 and detection cat 0,0,10,5: IoU exactly 0.5 is not above it: (cat, background) and
//   (background, cat). A difficult dog with a dog detection on it: neither counted.
// Rows true, columns predicted (cat, dog, background):
//   cat:        1 (image 0)   1 (image 1)   1 (image 2)
//   dog:        1 (image 0)   0             2 (images 0, 1)
//   background: 2 (images 1, 2)  1 (image 0)   0
const Box kCatBox{0, 0, 10, 10}, kDogBox{20, 0, 30, 10}, kMissedDogBox{40, 0, 50, 10}, kNowhere{100, 100, 110, 110};
Truths example_truths() {
  return {{truth_of(kCatBox, kCat), truth_of(kDogBox, kDog), truth_of(kMissedDogBox, kDog)},
          {truth_of({0, 0, 10, 10}, kCat), truth_of({0, 0, 10, 5.4f}, kDog)},
          {truth_of({0, 0, 10, 10}, kCat), truth_of({50, 50, 60, 60}, kDog, true)}};
}
Detections example_detections() {
  return {{found(kCatBox, 0.9f, kCat), found(kDogBox, 0.8f, kCat), found(kNowhere, 0.7f, kDog),
           found(kMissedDogBox, 0.1f, kDog)},
          {found({0, 0, 10, 9}, 0.6f, kCat), found({0, 0, 10, 9.5f}, 0.5f, kDog)},
          {found({0, 0, 10, 5}, 0.9f, kCat), found({50, 50, 60, 60}, 0.9f, kDog)}};
}

TEST(ConfusionMatrix, YoloV5sMatchingWorkedByHand) {
  const auto m = confusion_matrix(example_detections(), example_truths(), 2, 0.25f);
  ASSERT_EQ(m.size(), 3);
  EXPECT_EQ(m.background(), kBackground);
  const std::vector<int64_t> expected = {1, 1, 1,   //
                                         1, 0, 2,   //
                                         2, 1, 0};  //
  EXPECT_EQ(m.counts, expected);
  // Each true object once in its row (3 cats, 3 dogs, the difficult one left out), each detection at conf once in
  // its column (4 cats, 2 dogs).
  EXPECT_EQ(m.at(kCat, kCat) + m.at(kCat, kDog) + m.at(kCat, kBackground), 3);
  EXPECT_EQ(m.at(kCat, kCat) + m.at(kDog, kCat) + m.at(kBackground, kCat), 4);
  EXPECT_EQ(m.at(kDog, kDog) + m.at(kBackground, kDog) + m.at(kCat, kDog), 2);
}

TEST(ConfusionMatrix, TheConfidenceIsInclusive) {
  // conf 0.1 lets the dog on C in (score exactly 0.1): (dog, dog) 1 and (dog, background) 1 instead of 2.
  const auto m = confusion_matrix(example_detections(), example_truths(), 2, 0.1f);
  EXPECT_EQ(m.at(kDog, kDog), 1);
  EXPECT_EQ(m.at(kDog, kBackground), 1);
  // conf 0.95: nothing detected; every truth missed.
  const auto none = confusion_matrix(example_detections(), example_truths(), 2, 0.95f);
  EXPECT_EQ(none.counts, (std::vector<int64_t>{0, 0, 3, 0, 0, 3, 0, 0, 0}));
}

TEST(ConfusionMatrix, EvaluationCarriesItAtItsConfidence) {
  EvaluationOptions options;
  options.conf = 0.25f;
  const auto e = evaluate_detections(example_detections(), example_truths(), 2, options);
  EXPECT_EQ(e.confusion.counts, confusion_matrix(example_detections(), example_truths(), 2, 0.25f).counts);
  EXPECT_EQ(e.confusion.conf, 0.25f);
  EXPECT_EQ(e.confusion.iou, 0.5);
}

TEST(ConfusionMatrix, JsonAndTheClassesAPictureShows) {
  // Four classes; only cat and dog occur.
  auto dets = example_detections();
  const auto m = confusion_matrix(dets, example_truths(), 4, 0.25f);
  const auto j = confusion_matrix_json(m, {"cat", "dog", "bird", "fish"});
  EXPECT_EQ(j.at("rows"), "true");
  EXPECT_EQ(j.at("columns"), "predicted");
  EXPECT_EQ(j.at("labels"), nlohmann::json({"cat", "dog", "bird", "fish", "background"}));
  EXPECT_EQ(j.at("counts").size(), 5u);
  EXPECT_EQ(j["counts"][0], nlohmann::json({1, 1, 0, 0, 1}));
  EXPECT_EQ(j["counts"][4], nlohmann::json({2, 1, 0, 0, 0}));
  EXPECT_EQ(occurring_classes(m), (std::vector<int>{0, 1}));
  // A class that is only predicted occurs too.
  dets[0].push_back(found({200, 200, 210, 210}, 0.5f, 3));
  EXPECT_EQ(occurring_classes(confusion_matrix(dets, example_truths(), 4, 0.25f)), (std::vector<int>{0, 1, 3}));
  EXPECT_NE(test::error_of([&] { confusion_matrix_json(m, {"cat"}); }).find("1 names for 4 classes"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { confusion_matrix(dets, example_truths(), 2, 0.25f); }).find("class 3"),
            std::string::npos);
}

TEST(ConfusionMatrix, DrawnAsAHeatMapWithItsDataAndScript) {
  TINT_SKIP_IF_MISSING(
      test::missing_tool(report::gnuplot_available(), "gnuplot (apt-get install gnuplot-nox; scripts/deps.sh does)"));
  test::TempDir tmp;
  const auto m = confusion_matrix(example_detections(), example_truths(), 4, 0.25f);
  plot_confusion_matrix(tmp / "confusion.png", m, {"cat", "dog", "bird", "fish"});
  const auto image = data::read_image(tmp / "confusion.png");
  EXPECT_EQ(image.size(0), 3);
  EXPECT_GT(image.to(torch::kFloat32).std().item<float>(), 1.0f);  // not a blank canvas
  // The data: cat, dog and background (bird and fish never occur), 3 x 3 cells; the cat row's colours are its
  // shares 1/3 each; the background row (2, 1, 0) gives 2/3 and 1/3.
  const auto csv = read_file(tmp / "confusion.csv");
  EXPECT_EQ(csv.rfind("column,row,colour,text,text_colour\n", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 9) << csv;
  EXPECT_NE(csv.find("0,0,0.333333,1,0\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("0,2,0.666667,2,16777215\n"), std::string::npos) << csv;  // dark cell: white text
  EXPECT_NE(csv.find("2,2,0, ,0\n"), std::string::npos) << csv;                // zero: no text
  const auto gp = read_file(tmp / "confusion.gp");
  EXPECT_NE(gp.find("('cat' 0, 'dog' 1, 'background' 2)"), std::string::npos) << gp;
  EXPECT_EQ(gp.find("bird"), std::string::npos) << gp;
}

}  // namespace
}  // namespace tint::detect
