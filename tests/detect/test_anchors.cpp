// Anchors by k-means with the 1 - IoU distance (detect/anchors.h): a case worked by hand (two obvious clusters), the
// average IoU against a brute-force count with data::iou, determinism for a seed, the error cases, and the cfg written
// with the new anchors read back by tint's cfg parser (masks split as Yolo-Fastest's: the largest to the first head).
#include <gtest/gtest.h>

#include <random>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/boxes.h"
#include "tint/detect/anchors.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"

namespace tint::detect {
namespace anchors_test {
namespace {

// The IoU of two sizes as boxes at the origin, through the box code every detector uses.
double brute_iou(const BoxSize& a, const BoxSize& b) {
  return data::iou(data::Box{0, 0, float(a.w), float(a.h)}, data::Box{0, 0, float(b.w), float(b.h)});
}

double brute_average(const std::vector<BoxSize>& boxes, const std::vector<BoxSize>& anchors) {
  double sum = 0;
  for (const auto& b : boxes) {
    double best = 0;
    for (const auto& a : anchors) best = std::max(best, brute_iou(b, a));
    sum += best;
  }
  return sum / boxes.size();
}

TEST(Anchors, CornerIouIsTheIouOfBoxesAtOneCorner) {
  EXPECT_DOUBLE_EQ(corner_iou({10, 10}, {10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(corner_iou({10, 10}, {20, 10}), 0.5);
  EXPECT_DOUBLE_EQ(corner_iou({10, 40}, {40, 10}), 100.0 / 700.0);  // 10x10 shared, 400 + 400 - 100
  for (const auto& [a, b] : {std::pair<BoxSize, BoxSize>{{3, 7}, {5, 2}}, {{100, 50}, {11, 10}}, {{1, 1}, {2, 3}}})
    EXPECT_NEAR(corner_iou(a, b), brute_iou(a, b), 1e-6);
}

// Two clusters worked by hand: {10x10, 12x10} with mean 11x10 and {100x40, 100x60} with mean 100x50. Whatever the
// seed, k-means ends there; the average IoU is (100/110 + 110/120 + 4000/5000 + 5000/6000) / 4.
TEST(Anchors, TwoObviousClustersWorkedByHand) {
  const std::vector<BoxSize> boxes{{100, 40}, {10, 10}, {100, 60}, {12, 10}};
  for (uint64_t seed : {0, 1, 2, 3, 42}) {
    SCOPED_TRACE(seed);
    AnchorOptions o;
    o.num = 2;
    o.seed = seed;
    const auto fit = fit_anchors(boxes, o);
    ASSERT_EQ(fit.anchors.size(), 2u);
    EXPECT_EQ(fit.anchors[0].w, 11);  // sorted by area: the small one first
    EXPECT_EQ(fit.anchors[0].h, 10);
    EXPECT_EQ(fit.anchors[1].w, 100);
    EXPECT_EQ(fit.anchors[1].h, 50);
    EXPECT_TRUE(fit.converged);
    const double by_hand = (100.0 / 110 + 110.0 / 120 + 4000.0 / 5000 + 5000.0 / 6000) / 4;
    EXPECT_NEAR(fit.avg_iou, by_hand, 1e-12);
    EXPECT_NEAR(fit.avg_iou, 0.864773, 1e-6);
  }
  EXPECT_EQ(format_anchors({{11, 10}, {100, 50}}), "11,10, 100,50");
}

std::vector<BoxSize> random_boxes(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> side(2, 300);
  std::vector<BoxSize> boxes;
  for (int i = 0; i < n; ++i) boxes.push_back({side(rng), side(rng)});
  return boxes;
}

// On 500 random boxes: the average IoU is the brute-force one, each anchor is its cluster's rounded mean (a fixed
// point of the iteration), the same seed gives the same anchors, and more anchors fit better.
TEST(Anchors, AverageIouIsTheBruteForceOneAndTheSeedDecides) {
  const auto boxes = random_boxes(500, 7);
  AnchorOptions o;
  o.num = 6;
  o.seed = 5;
  const auto a = fit_anchors(boxes, o), b = fit_anchors(boxes, o);
  ASSERT_EQ(a.anchors.size(), 6u);
  EXPECT_TRUE(a.converged);
  EXPECT_NEAR(a.avg_iou, brute_average(boxes, a.anchors), 1e-6);
  EXPECT_NEAR(average_best_iou(boxes, a.anchors), brute_average(boxes, a.anchors), 1e-6);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(a.anchors[i].w, b.anchors[i].w);
    EXPECT_EQ(a.anchors[i].h, b.anchors[i].h);
    EXPECT_EQ(a.anchors[i].w, std::round(a.anchors[i].w));
    if (i > 0) {
      EXPECT_LE(a.anchors[i - 1].w * a.anchors[i - 1].h, a.anchors[i].w * a.anchors[i].h);
    }
  }
  o.num = 12;
  EXPECT_GT(fit_anchors(boxes, o).avg_iou, a.avg_iou);
  // Every box its own anchor: IoU 1.
  std::vector<BoxSize> whole{{4, 5}, {30, 8}, {9, 60}};
  o.num = 3;
  EXPECT_DOUBLE_EQ(fit_anchors(whole, o).avg_iou, 1.0);
}

TEST(Anchors, FewerBoxesThanAnchorsOrRepeatedSizes) {
  AnchorOptions o;
  o.num = 3;
  EXPECT_NE(test::error_of([&] {
              fit_anchors({{1, 2}, {3, 4}}, o);
            }).find("3 anchors need at least 3 boxes"),
            std::string::npos);
  o.num = 0;
  EXPECT_NE(test::error_of([&] { fit_anchors({{1, 2}}, o); }).find("--num 0"), std::string::npos);
  // Two distinct sizes among many boxes, three anchors: it ends, every box served exactly.
  std::vector<BoxSize> twice(20, BoxSize{10, 20});
  twice.resize(40, BoxSize{50, 30});
  o.num = 3;
  const auto fit = fit_anchors(twice, o);
  EXPECT_EQ(fit.anchors.size(), 3u);
  EXPECT_DOUBLE_EQ(fit.avg_iou, 1.0);
}

// The written cfg, parsed again: every [yolo] has the new anchors and num; masks 3,4,5 then 0,1,2 as Yolo-Fastest's
// own; with 6 anchors the heads' convolutions keep 255 filters, so the model builds and the pretrained weights still
// fit. With 9 anchors the first head takes 5, the second 4, and their convolutions change to 85 x 5 and 85 x 4.
TEST(Anchors, CfgWrittenWithNewAnchorsParsesBack) {
  const auto cfg_path = test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg";
  auto cfg = read_cfg(cfg_path);
  const std::vector<BoxSize> six{{5, 7}, {14, 20}, {30, 60}, {70, 40}, {90, 150}, {200, 210}};
  const auto masks = set_anchors(cfg, six);
  EXPECT_EQ(masks, (std::vector<std::vector<int>>{{3, 4, 5}, {0, 1, 2}}));
  test::TempDir tmp;
  write_cfg(tmp / "six.cfg", cfg);
  const auto back = read_cfg(tmp / "six.cfg");
  int heads = 0;
  for (int i = 0; i < back.num_layers(); ++i) {
    const auto& s = back.layer(i);
    if (s.type != "yolo") continue;
    EXPECT_EQ(s.get_floats("anchors"), (std::vector<float>{5, 7, 14, 20, 30, 60, 70, 40, 90, 150, 200, 210}));
    EXPECT_EQ(s.get_int("num", 0), 6);
    EXPECT_EQ(s.get_ints("mask"), heads == 0 ? (std::vector<int>{3, 4, 5}) : (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(back.layer(i - 1).get_int("filters", 0), 255);
    ++heads;
  }
  EXPECT_EQ(heads, 2);
  const auto original = read_cfg(cfg_path);
  EXPECT_EQ(format_cfg(back).size() > 0, true);
  EXPECT_EQ(cfg_anchors(back).size(), 6u);
  EXPECT_EQ(cfg_anchors(original)[5].w, 242);  // Yolo-Fastest's own largest anchor, 242,238
  DarknetModel model(back);
  ASSERT_EQ(model->heads().size(), 2u);
  EXPECT_FLOAT_EQ(model->heads()[0].anchors[0][0], 70);  // mask 3: the fourth anchor by area
  EXPECT_FLOAT_EQ(model->heads()[1].anchors[0][0], 5);

  auto nine_cfg = read_cfg(cfg_path);
  std::vector<BoxSize> nine = six;
  nine.insert(nine.end(), {{220, 230}, {250, 260}, {300, 300}});
  EXPECT_EQ(set_anchors(nine_cfg, nine), (std::vector<std::vector<int>>{{4, 5, 6, 7, 8}, {0, 1, 2, 3}}));
  const auto nine_back = parse_cfg(format_cfg(nine_cfg), "nine.cfg");
  DarknetModel nine_model(nine_back);
  EXPECT_EQ(nine_model->heads()[0].channels(), 85 * 5);
  EXPECT_EQ(nine_model->heads()[1].channels(), 85 * 4);

  auto one_cfg = read_cfg(cfg_path);
  EXPECT_NE(test::error_of([&] {
              set_anchors(one_cfg, {{1, 1}});
            }).find("2 [yolo] heads need at least 2 anchors"),
            std::string::npos);
}

}  // namespace
}  // namespace anchors_test
}  // namespace tint::detect
