// COCO-style AP and mAP (detect/average_precision.h): hand-computed cases with the arithmetic written out, the edge
// cases (no detections, classes without truths, all false positives, tied scores, difficult truths), and a
// brute-force reference on random boxes that ranks, matches and interpolates in the plainest way.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "detection_cases.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/detect/average_precision.h"

namespace tint::detect {
namespace {

using namespace test_cases;  // NOLINT(google-build-using-namespace): the cases' vocabulary

constexpr Box kA{0, 0, 10, 10};
constexpr Box kB{20, 0, 30, 10};
constexpr Box kFar{100, 100, 110, 110};

TEST(AveragePrecision, InterpolatesAt101RecallPoints) {
  // Ranks TP, FP, TP of two truths: recall 0.5, 0.5, 1; precision 1, 1/2, 2/3; envelope 1, 2/3, 2/3.
  // Recall points 0, 0.01, ..., 0.50 (51 of them) first reach rank 0 -> 1; 0.51 .. 1 (50) reach rank 2 -> 2/3.
  // AP = (51 + 50 * 2/3) / 101 = 253 / 303.
  EXPECT_NEAR(interpolated_average_precision({0.5, 0.5, 1.0}, {1.0, 0.5, 2.0 / 3}), 253.0 / 303, 1e-12);
  // Recall ends at 0.25: points 0 .. 0.25 (26) get 1, the other 75 get 0.
  EXPECT_NEAR(interpolated_average_precision({0.25}, {1.0}), 26.0 / 101, 1e-12);
  // Recall exactly 0.07 reaches the point 0.07 (8 points 0..0.07).
  EXPECT_NEAR(interpolated_average_precision({7.0 / 100}, {1.0}), 8.0 / 101, 1e-12);
  EXPECT_EQ(interpolated_average_precision({}, {}), 0.0);
  EXPECT_NE(test::error_of([] { interpolated_average_precision({0.5}, {}); }), "<no error>");
}

TEST(AveragePrecision, IouThresholdsAreCocos) {
  for (int k = 0; k < kNumIouThresholds; ++k) EXPECT_NEAR(iou_threshold(k), 0.5 + 0.05 * k, 1e-12);
  EXPECT_NE(test::error_of([] { iou_threshold(10); }), "<no error>");
}

TEST(AveragePrecision, HandComputedRankingWithAFalsePositiveBetweenHits) {
  // Same ranking as above, built from boxes: 0.9 on A (IoU 1), 0.8 far from both (FP), 0.7 on B (IoU 1).
  // IoU 1 passes every threshold, so AP = 253/303 at all ten.
  const Truths truths = {{truth(kA), truth(kB)}};
  const Detections dets = {{detection(kA, 0.9f), detection(kFar, 0.8f), detection(kB, 0.7f)}};
  const auto e = evaluate_detections(dets, truths, 1);
  EXPECT_NEAR(e.map50, 253.0 / 303, 1e-12);
  EXPECT_NEAR(e.map50_95, 253.0 / 303, 1e-12);
  EXPECT_EQ(e.classes[0].instances, 2);
  EXPECT_EQ(e.classes[0].images, 1);
  EXPECT_EQ(e.classes[0].detections, 3);
  EXPECT_EQ(e.classes_with_instances, 1);
}

TEST(AveragePrecision, IouDecidesWhichThresholdsMatch) {
  // Truth 0..10 x 0..10, detection 0..10 x 0..8.25: IoU = 82.5 / 100 = 0.825, a hit at 0.50 .. 0.80 (7 thresholds,
  // AP 1) and a miss at 0.85, 0.90, 0.95 (AP 0). AP50 = 1, AP50:95 = 7 / 10.
  const auto e = evaluate_detections({{detection({0, 0, 10, 8.25f}, 0.5f)}}, {{truth(kA)}}, 1);
  EXPECT_NEAR(e.classes[0].ap50(), 1.0, 1e-12);
  for (int k = 0; k < kNumIouThresholds; ++k) EXPECT_NEAR(e.classes[0].ap[k], k <= 6 ? 1.0 : 0.0, 1e-12) << k;
  EXPECT_NEAR(e.map50_95, 0.7, 1e-12);
}

TEST(AveragePrecision, MatchingIsGreedyInScoreOrder) {
  // T1 = 0..10, T2 = 6..16 (x; y 0..10). d1 (0.9) = 4..14: IoU T1 = 60/140 = 0.43, T2 = 80/120 = 0.67 -> T2.
  // d2 (0.8) = 7..17: IoU T2 = 90/110 = 0.82 but T2 is taken; T1 = 30/170 = 0.18 < 0.5 -> FP.
  // At 0.5: TP, FP -> recall 0.5, 0.5, precision 1, 0.5: points 0..0.5 get 1, the rest 0: AP50 = 51/101.
  // (Matching by best IoU first would give FP, TP: AP50 = 51 * 0.5 / 101.)
  const Truths truths = {{truth({0, 0, 10, 10}), truth({6, 0, 16, 10})}};
  const Detections dets = {{detection({4, 0, 14, 10}, 0.9f), detection({7, 0, 17, 10}, 0.8f)}};
  EXPECT_NEAR(evaluate_detections(dets, truths, 1).map50, 51.0 / 101, 1e-12);
}

TEST(AveragePrecision, EqualOverlapsGoToTheFirstTruth) {
  // T1 = 0..10, T2 = 2..12 (x; y 0..10). d1 (0.9) = 1..11 overlaps both by 90/110 = 0.818: it takes T1, the first.
  // d2 (0.8) = T2 exactly: IoU 1, a TP wherever d1 is one. At 0.50..0.80: TP, TP -> AP 1. At 0.85..0.95 d1 misses:
  // FP, TP -> recall 0, 1/2, precision 0, 1/2: points 0..0.5 get 1/2, the rest 0: AP = 51 * 0.5 / 101.
  // AP50:95 = (7 + 3 * 25.5 / 101) / 10. (Had d1 taken T2, d2 would match T1 at IoU 80/120 = 0.67 only: at 0.70..0.80
  // TP, FP -> 51/101.)
  const Truths truths = {{truth({0, 0, 10, 10}), truth({2, 0, 12, 10})}};
  const Detections dets = {{detection({1, 0, 11, 10}, 0.9f), detection({2, 0, 12, 10}, 0.8f)}};
  const auto e = evaluate_detections(dets, truths, 1);
  EXPECT_NEAR(e.map50, 1.0, 1e-12);
  EXPECT_NEAR(e.map50_95, (7 + 3 * 25.5 / 101) / 10, 1e-12);
}

TEST(AveragePrecision, TiedScoresKeepImageThenListOrder) {
  // Two detections scored 0.5: image 0's misses (no truth there), image 1's hits its truth. The stable ranking keeps
  // image 0 first: FP, TP -> recall 0, 1, precision 0, 1/2; envelope 1/2 at every point: AP = 0.5.
  // (TP first would give 1.)
  const Truths truths = {{}, {truth(kA)}};
  const Detections dets = {{detection(kA, 0.5f)}, {detection(kA, 0.5f)}};
  EXPECT_NEAR(evaluate_detections(dets, truths, 1).map50, 0.5, 1e-12);
  // Within one image, list order: the FP first, then the hit.
  const Detections same_image = {{detection(kFar, 0.5f), detection(kA, 0.5f)}};
  EXPECT_NEAR(evaluate_detections(same_image, {{truth(kA)}}, 1).map50, 0.5, 1e-12);
  const Detections hit_first = {{detection(kA, 0.5f), detection(kFar, 0.5f)}};
  EXPECT_NEAR(evaluate_detections(hit_first, {{truth(kA)}}, 1).map50, 1.0, 1e-12);
}

TEST(AveragePrecision, DuplicateDetectionsAreFalsePositives) {
  // Two detections on one truth: the second finds it matched: TP, FP. Recall 1, 1; precision 1, 1/2; envelope 1, 1/2.
  // Every point reaches rank 0: AP = 1.
  const auto e = evaluate_detections({{detection(kA, 0.9f), detection(kA, 0.8f)}}, {{truth(kA)}}, 1, {0.5f});
  EXPECT_NEAR(e.map50, 1.0, 1e-12);
  EXPECT_EQ(e.true_positives, 1);
  EXPECT_EQ(e.false_positives, 1);
}

TEST(AveragePrecision, DifficultTruthsAreNeitherHitsNorMisses) {
  // Instance A, difficult D (= B). 0.9 on D: matched to D, dropped from the ranking; 0.8 far: FP; 0.7 on A: TP.
  // Ranking FP, TP over 1 instance: recall 0, 1; precision 0, 1/2; envelope 1/2 everywhere: AP = 0.5.
  // (D as an instance: TP, FP, TP -> 253/303; the match to D as a FP: FP, FP, TP -> 1/3.)
  const Truths truths = {{truth(kA), truth(kB, 0, /*difficult=*/true)}};
  const Detections dets = {{detection(kB, 0.9f), detection(kFar, 0.8f), detection(kA, 0.7f)}};
  const auto e = evaluate_detections(dets, truths, 1, {0.0f});
  EXPECT_NEAR(e.map50, 0.5, 1e-12);
  EXPECT_EQ(e.classes[0].instances, 1);
  EXPECT_EQ(e.classes[0].difficult, 1);
  EXPECT_EQ(e.true_positives, 1);  // at conf 0: the TP and the FP count, the match to D does not
  EXPECT_EQ(e.false_positives, 1);
  EXPECT_NEAR(e.precision, 0.5, 1e-12);
  EXPECT_NEAR(e.recall, 1.0, 1e-12);
}

TEST(AveragePrecision, AnInstanceBeatsABetterOverlappingDifficultTruth) {
  // Instance A = 0..10, difficult D = 1..11; the detection is D exactly: IoU with D = 1, with A = 90/110 = 0.818.
  // As COCOeval: an instance that qualifies wins over a difficult truth, so at 0.50..0.80 it is a TP (AP 1); at
  // 0.85..0.95 only D qualifies, the detection is dropped, no rank remains: AP 0. AP50:95 = 7/10.
  const Truths truths = {{truth(kA), truth({1, 0, 11, 10}, 0, true)}};
  const auto e = evaluate_detections({{detection({1, 0, 11, 10}, 0.9f)}}, truths, 1);
  EXPECT_NEAR(e.map50, 1.0, 1e-12);
  EXPECT_NEAR(e.map50_95, 0.7, 1e-12);
}

TEST(AveragePrecision, ClassesWithoutTruthsAreLeftOutOfTheMean) {
  // Class 0: a perfect hit (AP 1). Class 1: only a detection, no truth: no AP, not in the mean, but its detection
  // is a false positive for the overall precision. Class 2: a truth and no detection: AP 0, in the mean.
  // mAP = (1 + 0) / 2 = 0.5; at conf 0.25: TP 1, FP 1 -> P = 1/2; R = 1 of 2 instances = 1/2.
  const Truths truths = {{truth(kA, 0), truth(kB, 2)}};
  const Detections dets = {{detection(kA, 0.9f, 0), detection(kFar, 0.9f, 1)}};
  const auto e = evaluate_detections(dets, truths, 3);
  EXPECT_EQ(e.classes_with_instances, 2);
  EXPECT_NEAR(e.map50, 0.5, 1e-12);
  EXPECT_NEAR(e.map50_95, 0.5, 1e-12);
  EXPECT_EQ(e.classes[1].instances, 0);
  EXPECT_EQ(e.classes[1].ap50(), 0.0);
  EXPECT_EQ(e.classes[2].detections, 0);
  EXPECT_NEAR(e.precision, 0.5, 1e-12);
  EXPECT_NEAR(e.recall, 0.5, 1e-12);
  const auto table = format_evaluation(e, {"cat", "dog", "bus"});
  EXPECT_NE(table.find("all"), std::string::npos) << table;
  EXPECT_NE(table.find("dog"), std::string::npos) << table;  // a row for its detections, with no AP
  EXPECT_EQ(test::count_lines(table), 2u + 5u) << table;     // the AP-by-size and AR lines, then the table
}

TEST(AveragePrecision, NothingToFindOrNothingFound) {
  // No detections: AP 0 for a class with truths; P = R = 0.
  auto e = evaluate_detections({{}, {}}, {{truth(kA)}, {truth(kB)}}, 1);
  EXPECT_EQ(e.map50, 0.0);
  EXPECT_EQ(e.map50_95, 0.0);
  EXPECT_EQ(e.precision, 0.0);
  EXPECT_EQ(e.recall, 0.0);
  // All false positives: AP 0, P 0.
  e = evaluate_detections({{detection(kFar, 0.9f), detection(kB, 0.8f)}}, {{truth(kA)}}, 1);
  EXPECT_EQ(e.map50, 0.0);
  EXPECT_EQ(e.false_positives, 2);
  EXPECT_EQ(e.precision, 0.0);
  // No truths at all: no class to average, mAP 0; no images at all: the same.
  e = evaluate_detections({{detection(kA, 0.9f)}}, {{}}, 2);
  EXPECT_EQ(e.classes_with_instances, 0);
  EXPECT_EQ(e.map50, 0.0);
  e = evaluate_detections({}, {}, 80);
  EXPECT_EQ(e.images, 0);
  EXPECT_EQ(e.map50_95, 0.0);
}

TEST(AveragePrecision, PrecisionAndRecallAtAConfidence) {
  // Three truths; ranked 0.9 hit, 0.6 miss, 0.3 hit, 0.1 hit. conf 0.5 counts the first two: P 1/2, R 1/3;
  // conf 0.25 the first three: P 2/3, R 2/3; conf 0.95 none: P 0, R 0.
  const Truths truths = {{truth({0, 0, 10, 10}), truth({20, 0, 30, 10}), truth({40, 0, 50, 10})}};
  const Detections dets = {{detection({0, 0, 10, 10}, 0.9f), detection(kFar, 0.6f), detection({20, 0, 30, 10}, 0.3f),
                            detection({40, 0, 50, 10}, 0.1f)}};
  for (auto [conf, p, r] :
       {std::tuple{0.5f, 1.0 / 2, 1.0 / 3}, std::tuple{0.25f, 2.0 / 3, 2.0 / 3}, std::tuple{0.95f, 0.0, 0.0}}) {
    const auto e = evaluate_detections(dets, truths, 1, {conf});
    EXPECT_NEAR(e.precision, p, 1e-12) << conf;
    EXPECT_NEAR(e.recall, r, 1e-12) << conf;
    EXPECT_NEAR(e.classes[0].precision, p, 1e-12) << conf;
    EXPECT_NEAR(e.classes[0].recall, r, 1e-12) << conf;
  }
}

TEST(AveragePrecision, RefusesInconsistentInput) {
  EXPECT_NE(test::error_of([] { evaluate_detections({{}}, {}, 1); }).find("1 images but ground truth for 0"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { evaluate_detections({{detection(kA, 0.5f, 3)}}, {{}}, 3); }).find("image 0"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { evaluate_detections({{detection(kA, NAN)}}, {{}}, 1); }), "<no error>");
  EXPECT_NE(test::error_of([] { evaluate_detections({{}}, {{truth(kA, -1)}}, 1); }).find("ground truth 0"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { evaluate_detections({}, {}, 0); }), "<no error>");
}

// ---- The brute-force reference ----------------------------------------------------------------------------------

struct Reference {
  std::vector<std::array<double, kNumIouThresholds>> ap;  // per class
  std::vector<int> instances;
  double map50 = 0, map50_95 = 0;
  int64_t tp_at_conf = 0, fp_at_conf = 0;
};

// Ranks with std::sort on (score desc, image, position) and, for each detection, searches every truth of the data set
// for the unmatched one of its class and image with the highest IoU >= t, instances before difficult ones. AP: for
// each recall point, the maximum precision over all ranks whose recall reaches it.
Reference reference(const Detections& dets, const Truths& truths, int num_classes, float conf) {
  Reference out;
  out.ap.resize(num_classes);
  out.instances.assign(num_classes, 0);
  int with_instances = 0;
  for (int c = 0; c < num_classes; ++c) {
    for (const auto& image : truths) {
      for (const auto& t : image) out.instances[c] += t.class_id == c && !t.difficult;
    }
    std::vector<std::tuple<float, size_t, size_t>> order;  // (-score, image, position)
    for (size_t i = 0; i < dets.size(); ++i) {
      for (size_t j = 0; j < dets[i].size(); ++j) {
        if (dets[i][j].class_id == c) order.emplace_back(-dets[i][j].score, i, j);
      }
    }
    std::sort(order.begin(), order.end());
    for (int k = 0; k < kNumIouThresholds; ++k) {
      const double threshold = 0.5 + 0.05 * k;
      std::vector<std::vector<bool>> taken(truths.size());
      for (size_t i = 0; i < truths.size(); ++i) taken[i].assign(truths[i].size(), false);
      std::vector<double> recall, precision;
      int tp = 0, fp = 0;
      for (const auto& [neg_score, i, j] : order) {
        const auto& d = dets[i][j];
        long best = -1;
        for (const bool want_difficult : {false, true}) {
          float best_iou = -1;
          for (size_t g = 0; g < truths[i].size(); ++g) {
            const auto& t = truths[i][g];
            if (t.class_id != c || t.difficult != want_difficult || taken[i][g]) continue;
            const float v = data::iou(d.box, t.box);
            if (v >= threshold && v > best_iou) {
              best_iou = v;
              best = static_cast<long>(g);
            }
          }
          if (best >= 0) break;
        }
        if (best >= 0) taken[i][best] = true;
        if (best >= 0 && truths[i][best].difficult) continue;
        best >= 0 ? ++tp : ++fp;
        if (k == 0 && -neg_score >= conf) best >= 0 ? ++out.tp_at_conf : ++out.fp_at_conf;
        if (out.instances[c] > 0) {
          recall.push_back(double(tp) / out.instances[c]);
          precision.push_back(double(tp) / (tp + fp));
        }
      }
      double sum = 0;
      for (int p = 0; p <= 100; ++p) {
        double best_precision = 0;
        for (size_t r = 0; r < recall.size(); ++r) {
          if (recall[r] >= p / 100.0) best_precision = std::max(best_precision, precision[r]);
        }
        sum += best_precision;
      }
      out.ap[c][k] = out.instances[c] > 0 ? sum / 101 : 0.0;
    }
    if (out.instances[c] > 0) {
      ++with_instances;
      out.map50 += out.ap[c][0];
      for (int k = 0; k < kNumIouThresholds; ++k) out.map50_95 += out.ap[c][k] / kNumIouThresholds;
    }
  }
  if (with_instances > 0) {
    out.map50 /= with_instances;
    out.map50_95 /= with_instances;
  }
  return out;
}

// A box on a coarse grid (so that IoUs repeat and land on many thresholds), or a truth jittered by a pixel or two.
Box random_box(std::mt19937& rng, const std::vector<Box>& near) {
  std::uniform_int_distribution<int> coin(0, 2);
  if (!near.empty() && coin(rng) > 0) {
    Box b = near[std::uniform_int_distribution<size_t>(0, near.size() - 1)(rng)];
    std::uniform_int_distribution<int> jitter(-2, 2);
    b.x1 += jitter(rng), b.y1 += jitter(rng), b.x2 += jitter(rng), b.y2 += jitter(rng);
    if (b.x2 <= b.x1) b.x2 = b.x1 + 1;
    if (b.y2 <= b.y1) b.y2 = b.y1 + 1;
    return b;
  }
  std::uniform_int_distribution<int> pos(0, 30), size(2, 14);
  const float x = pos(rng), y = pos(rng);
  return {x, y, x + size(rng), y + size(rng)};
}

TEST(AveragePrecision, AgreesWithABruteForceReferenceOnRandomBoxes) {
  std::mt19937 rng(16);
  int nontrivial = 0;  // trials whose mAP is strictly between 0 and 1
  for (int trial = 0; trial < 500; ++trial) {
    const int num_images = std::uniform_int_distribution<int>(1, 3)(rng);
    const int num_classes = std::uniform_int_distribution<int>(1, 3)(rng);
    Truths truths(num_images);
    Detections dets(num_images);
    std::uniform_int_distribution<int> cls(0, num_classes - 1), count_t(0, 4), count_d(0, 6), score_step(1, 9);
    std::bernoulli_distribution difficult(0.15);
    for (int i = 0; i < num_images; ++i) {
      std::vector<Box> placed;
      for (int n = count_t(rng); n > 0; --n) {
        truths[i].push_back({random_box(rng, {}), cls(rng), difficult(rng)});
        placed.push_back(truths[i].back().box);
      }
      // Scores on a coarse grid, so that ties happen.
      for (int n = count_d(rng); n > 0; --n) {
        dets[i].push_back({random_box(rng, placed), cls(rng), score_step(rng) / 10.0f});
      }
    }
    const float conf = score_step(rng) / 10.0f;
    const auto e = evaluate_detections(dets, truths, num_classes, {conf});
    const auto ref = reference(dets, truths, num_classes, conf);
    SCOPED_TRACE(::testing::Message() << "trial " << trial);
    for (int c = 0; c < num_classes; ++c) {
      EXPECT_EQ(e.classes[c].instances, ref.instances[c]);
      for (int k = 0; k < kNumIouThresholds; ++k) {
        ASSERT_NEAR(e.classes[c].ap[k], ref.ap[c][k], 1e-6) << "class " << c << " threshold " << k;
      }
    }
    ASSERT_NEAR(e.map50, ref.map50, 1e-6);
    ASSERT_NEAR(e.map50_95, ref.map50_95, 1e-6);
    ASSERT_EQ(e.true_positives, ref.tp_at_conf);
    ASSERT_EQ(e.false_positives, ref.fp_at_conf);
    nontrivial += e.map50_95 > 0 && e.map50_95 < 1;
  }
  EXPECT_GT(nontrivial, 200);  // the random cases exercise partial matches, not only empty or perfect ones
}

// At the scale of COCO128 and a detector keeping 100 boxes per image: 128 images, 80 classes, the truths found
// exactly (score >= 0.5) among lower-scored random boxes. Every class's hits outrank its misses, so each AP is 1.
// Prints the time taken (a measurement, not an assertion).
TEST(AveragePrecision, PerfectDetectionsAmongNoiseAtCoco128Scale) {
  std::mt19937 rng(128);
  std::uniform_int_distribution<int> cls(0, 79), count_t(0, 14);
  std::uniform_real_distribution<float> noise_score(0.0f, 0.49f), hit_score(0.5f, 1.0f);
  Truths truths(128);
  Detections dets(128);
  for (int i = 0; i < 128; ++i) {
    for (int n = count_t(rng); n > 0; --n) {
      truths[i].push_back({random_box(rng, {}), cls(rng), false});
      dets[i].push_back({truths[i].back().box, truths[i].back().class_id, hit_score(rng)});
    }
    while (dets[i].size() < 100) dets[i].push_back({random_box(rng, {}), cls(rng), noise_score(rng)});
    std::shuffle(dets[i].begin(), dets[i].end(), rng);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto e = evaluate_detections(dets, truths, 80, {0.5f});
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "evaluate_detections: 128 images x 100 detections, 80 classes: " << ms << " ms\n";
  EXPECT_NEAR(e.map50, 1.0, 1e-12);
  EXPECT_NEAR(e.map50_95, 1.0, 1e-12);
  EXPECT_NEAR(e.recall, 1.0, 1e-12);
  EXPECT_NEAR(e.precision, 1.0, 1e-12);  // at conf 0.5, only the hits count
}

}  // namespace
}  // namespace tint::detect
