// COCO's summary beyond mAP (detect/average_precision.h): the counts at a confidence with F1 and their micro totals,
// AP@0.5:0.95 for small, medium and large objects (truths outside the range ignored, unmatched detections outside it
// ignored, the inclusive bounds), and AR@1/10/100 (each image's best detections per class). Hand-worked cases, the
// arithmetic in the comments.
#include <cmath>

#include <gtest/gtest.h>

#include "detection_cases.h"
#include "support/test_support.h"
#include "tint/detect/average_precision.h"

namespace tint::detect {
namespace {

using namespace test_cases;  // NOLINT(google-build-using-namespace): the cases' vocabulary

constexpr int kSmall = static_cast<int>(AreaRange::small);
constexpr int kMedium = static_cast<int>(AreaRange::medium);
constexpr int kLarge = static_cast<int>(AreaRange::large);

TEST(CocoSummary, CountsF1AndMicroTotalsAtTheConfidence) {
  // conf 0.25. Class 0, image 0: truths A, B; detections A 0.9 (TP), far 0.8 (FP), B 0.1 (below conf: not counted)
  //   -> TP 1, FP 1, FN 2 - 1 = 1; P 1/2, R 1/2, F1 2 (1/4) / 1 = 1/2.
  // Class 1, image 1: truth C and a difficult truth D; detections C 0.7 (TP), D 0.6 (matched to a difficult truth:
  //   counted nowhere) -> TP 1, FP 0, FN 0; P 1, R 1, F1 1.
  // Class 2: no truth, one detection 0.5 -> FP 1; P 0, R 0, F1 0.
  // Totals: TP 2, FP 2, FN 1 -> P 2/4, R 2/3, F1 = 2 (1/2)(2/3) / (1/2 + 2/3) = (2/3) / (7/6) = 4/7.
  const Box a{0, 0, 10, 10}, b{20, 0, 30, 10}, far{100, 100, 110, 110}, d{50, 50, 70, 70};
  const Truths truths = {{truth(a), truth(b)}, {truth(a, 1), truth(d, 1, true)}};
  const Detections dets = {{detection(a, 0.9f), detection(far, 0.8f), detection(b, 0.1f)},
                           {detection(a, 0.7f, 1), detection(d, 0.6f, 1), detection(far, 0.5f, 2)}};
  const auto e = evaluate_detections(dets, truths, 3, {0.25f});
  const auto& c0 = e.classes[0];
  EXPECT_EQ(c0.true_positives, 1);
  EXPECT_EQ(c0.false_positives, 1);
  EXPECT_EQ(c0.false_negatives, 1);
  EXPECT_NEAR(c0.f1, 0.5, 1e-12);
  const auto& c1 = e.classes[1];
  EXPECT_EQ(c1.true_positives, 1);
  EXPECT_EQ(c1.false_positives, 0);
  EXPECT_EQ(c1.false_negatives, 0);
  EXPECT_NEAR(c1.f1, 1.0, 1e-12);
  const auto& c2 = e.classes[2];
  EXPECT_EQ(c2.false_positives, 1);
  EXPECT_EQ(c2.false_negatives, 0);
  EXPECT_EQ(c2.f1, 0.0);
  EXPECT_EQ(e.true_positives, 2);
  EXPECT_EQ(e.false_positives, 2);
  EXPECT_EQ(e.false_negatives, 1);
  EXPECT_NEAR(e.precision, 0.5, 1e-12);
  EXPECT_NEAR(e.recall, 2.0 / 3, 1e-12);
  EXPECT_NEAR(e.f1, 4.0 / 7, 1e-12);
}

TEST(CocoSummary, ApBySizeIgnoresTruthsAndUnmatchedDetectionsOutsideTheRange) {
  // One image, one class. Truths: S 10x10 (area 100, small), M 50x50 (2500, medium), L 100x100 (10000, large).
  // Detections: L' 0.95 on L's top 62 rows (IoU 6200 / 10000 = 0.62, area 6200: medium), M 0.9 (exact),
  // F 0.85 (a 10x10 false positive: small), S 0.8 (exact).
  const Box s{0, 0, 10, 10}, m{100, 0, 150, 50}, l{200, 0, 300, 100}, l_part{200, 0, 300, 62}, f{400, 400, 410, 410};
  const Truths truths = {{truth(s), truth(m), truth(l)}};
  const Detections dets = {{detection(l_part, 0.95f), detection(m, 0.9f), detection(f, 0.85f), detection(s, 0.8f)}};
  const auto e = evaluate_detections(dets, truths, 1);
  // small (S counts): L' matches nothing it may and is medium -> ignored; M matches the ignored truth M -> ignored;
  //   F (small, unmatched) FP; S TP. Ranks FP, TP: precision 0, 1/2, envelope 1/2, 1/2; recall 0, 1 -> AP 1/2 at
  //   every threshold.
  EXPECT_NEAR(e.ap_by_area[kSmall], 0.5, 1e-12);
  // medium (M counts): at IoU 0.50, 0.55, 0.60 L' matches the ignored truth L -> ignored, then M TP: AP 1. At 0.65 ..
  //   0.95 (7 thresholds) L' is unmatched and its own area (6200) is medium -> FP, then M TP: AP 1/2.
  //   F and S are small and unmatched or matched to the ignored S -> ignored. Mean (3 x 1 + 7 x 1/2) / 10 = 0.65.
  EXPECT_NEAR(e.ap_by_area[kMedium], 0.65, 1e-12);
  // large (L counts): L' TP at 0.50 .. 0.60 (AP 1); above, L' is unmatched but medium -> ignored, and nothing else
  //   is large: AP 0. Mean 3 / 10.
  EXPECT_NEAR(e.ap_by_area[kLarge], 0.3, 1e-12);
  EXPECT_EQ(e.classes_by_area, (std::array<int, 3>{1, 1, 1}));
  // AR@100 by size: the last recall per threshold. small 1 (S found), medium 1, large 3 / 10.
  EXPECT_NEAR(e.ar_by_area[kSmall], 1.0, 1e-12);
  EXPECT_NEAR(e.ar_by_area[kMedium], 1.0, 1e-12);
  EXPECT_NEAR(e.ar_by_area[kLarge], 0.3, 1e-12);
}

TEST(CocoSummary, AreaBoundsAreInclusiveAndEmptyRangesAreNaN) {
  // A 32 x 32 truth (area 1024 = 32^2) is small and medium both, as pycocotools compares (area < lo or area > hi
  // is ignored); found exactly: AP 1 in both. No truth is large: NaN (COCO's -1), no class counted.
  const Box b{0, 0, 32, 32};
  const auto e = evaluate_detections({{detection(b, 0.9f)}}, {{truth(b)}}, 1);
  EXPECT_EQ(area_bounds(AreaRange::small), std::make_pair(0.0, 1024.0));
  EXPECT_EQ(area_bounds(AreaRange::medium), std::make_pair(1024.0, 9216.0));
  EXPECT_TRUE(std::isinf(area_bounds(AreaRange::large).second));
  EXPECT_NEAR(e.ap_by_area[kSmall], 1.0, 1e-12);
  EXPECT_NEAR(e.ap_by_area[kMedium], 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(e.ap_by_area[kLarge]));
  EXPECT_TRUE(std::isnan(e.ar_by_area[kLarge]));
  EXPECT_EQ(e.classes_by_area, (std::array<int, 3>{1, 1, 0}));
  // 32 x 33 (1056) is medium only.
  const Box c{0, 0, 32, 33};
  const auto f = evaluate_detections({{detection(c, 0.9f)}}, {{truth(c)}}, 1);
  EXPECT_TRUE(std::isnan(f.ap_by_area[kSmall]));
  EXPECT_NEAR(f.ap_by_area[kMedium], 1.0, 1e-12);
}

TEST(CocoSummary, ApBySizeAveragesTheClassesWithTruthsInTheRange) {
  // Class 0: a small truth, found (small AP 1). Class 1: a small truth, missed (small AP 0), and a large one, found
  // (large AP 1). small = (1 + 0) / 2 = 0.5 over 2 classes; large = 1 over class 1 alone; medium: none, NaN.
  const Box s1{0, 0, 10, 10}, s2{50, 50, 60, 60}, big{100, 100, 300, 300};
  const Truths truths = {{truth(s1, 0), truth(s2, 1), truth(big, 1)}};
  const Detections dets = {{detection(s1, 0.9f, 0), detection(big, 0.8f, 1)}};
  const auto e = evaluate_detections(dets, truths, 2);
  EXPECT_NEAR(e.ap_by_area[kSmall], 0.5, 1e-12);
  EXPECT_NEAR(e.ap_by_area[kLarge], 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(e.ap_by_area[kMedium]));
  EXPECT_EQ(e.classes_by_area, (std::array<int, 3>{2, 0, 1}));
}

TEST(CocoSummary, AverageRecallCountsEachImagesBestDetectionsPerClass) {
  // Class 0. Image 0: truths A, B; detections F 0.9 (false), A 0.8 (exact), B' 0.7 on B's top 7.5 rows (IoU
  // 75 / 100 = 0.75: a hit at 0.50 .. 0.75, six thresholds). Image 1: truth C, detection C 0.95 (exact), below a
  // class 2 detection 0.99 (the cap is per image and class: it takes no class 0 slot).
  // Class 1: a truth D in image 1, never detected: recall 0. Class 2: detections only, left out of the means.
  //   AR@1, class 0: image 0's best is F (a miss), image 1's is C: recall 1/3 at every threshold.
  //   AR@10 (and @100), class 0: A, C at every threshold, B at six of ten: (6 x 3/3 + 4 x 2/3) / 10 = 13/15.
  //   Means over classes 0 and 1: AR@1 = (1/3 + 0) / 2 = 1/6; AR@10 = AR@100 = (13/15 + 0) / 2 = 13/30.
  const Box a{0, 0, 10, 10}, b{20, 0, 30, 10}, b_part{20, 0, 30, 7.5f}, c{0, 0, 20, 20}, d{50, 50, 60, 60},
      f{100, 100, 110, 110};
  const Truths truths = {{truth(a), truth(b)}, {truth(c), truth(d, 1)}};
  const Detections dets = {{detection(f, 0.9f), detection(a, 0.8f), detection(b_part, 0.7f)},
                           {detection(c, 0.99f, 2), detection(c, 0.95f)}};
  const auto e = evaluate_detections(dets, truths, 3);
  EXPECT_NEAR(e.ar[0], 1.0 / 6, 1e-12);
  EXPECT_NEAR(e.ar[1], 13.0 / 30, 1e-12);
  EXPECT_NEAR(e.ar[2], 13.0 / 30, 1e-12);
  // AR@100 for all sizes equals the last recall of the uncapped ranking here (no image has 100 detections).
  EXPECT_EQ(kMaxDetections, (std::array<int, 3>{1, 10, 100}));
}

TEST(CocoSummary, AverageRecallWithoutInstancesIsNaN) {
  const auto e = evaluate_detections({{detection({0, 0, 10, 10}, 0.9f)}}, {{}}, 1);
  for (double v : e.ar) EXPECT_TRUE(std::isnan(v));
  for (double v : e.ap_by_area) EXPECT_TRUE(std::isnan(v));
}

TEST(CocoSummary, TheTextShowsSizesRecallAndCounts) {
  const Box a{0, 0, 10, 10};
  const auto e = evaluate_detections({{detection(a, 0.9f), detection({50, 50, 60, 60}, 0.8f)}}, {{truth(a)}}, 1);
  const auto text = format_evaluation(e, {"thing"});
  // small AP 1 (the false positive after the hit costs nothing); no medium or large truth: dashes.
  EXPECT_NE(text.find("AP@0.5:0.95 by size  small 1.000  medium -  large -\n"), std::string::npos) << text;
  EXPECT_NE(text.find("AR@1 1.000  AR@10 1.000  AR@100 1.000  (AR@100 by size: small 1.000  medium -  large -)\n"),
            std::string::npos)
      << text;
  // P 1/2, R 1, F1 2/3, TP 1, FP 1, FN 0.
  EXPECT_NE(text.find("thing       1         1  0.500  1.000  0.667      1      1      0  1.000     1.000\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace tint::detect
