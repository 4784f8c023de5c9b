// The YOLO head's decoding, candidate selection and class-aware NMS, each against a plain loop written from
// darknet's formulas (src/yolo_layer.c: get_yolo_box, get_yolo_detections; src/box.c: do_nms_sort).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "tint/detect/postprocess.h"
#include "tint/detect/yolo_head.h"

namespace tint::detect {
namespace {

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

YoloHead two_anchor_head(int classes, float scale_x_y) {
  YoloHead head;
  head.anchors = {{10, 14}, {23, 27}};
  head.all_anchors = {{5, 7}, {10, 14}, {23, 27}};
  head.mask = {1, 2};
  head.num_classes = classes;
  head.scale_x_y = scale_x_y;
  return head;
}

TEST(YoloDecode, MatchesDarknetsBoxFormulaAtEveryCell) {
  torch::manual_seed(1);
  for (float s : {1.0f, 1.05f, 2.0f}) {
    const auto head = two_anchor_head(3, s);
    const int64_t n = 2, h = 3, w = 4, a = 2, c = 3;
    const int input_w = 64, input_h = 48;
    const auto raw = torch::randn({n, a * (5 + c), h, w});
    const auto d = decode(raw, head, input_w, input_h);
    ASSERT_EQ(d.boxes.sizes(), (std::vector<int64_t>{n, a * h * w, 4}));
    const auto r = raw.accessor<float, 4>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t k = 0; k < a; ++k)
        for (int64_t j = 0; j < h; ++j)
          for (int64_t i = 0; i < w; ++i) {
            const auto ch = [&](int e) { return r[b][k * (5 + c) + e][j][i]; };
            // darknet: x = (i + sigmoid(tx) * s - (s - 1) / 2) / lw, w = exp(tw) * anchor_w / net_w
            const float x = (i + sigmoid(ch(0)) * s - (s - 1) / 2) / w * input_w;
            const float y = (j + sigmoid(ch(1)) * s - (s - 1) / 2) / h * input_h;
            const float bw = std::exp(ch(2)) * head.anchors[k][0], bh = std::exp(ch(3)) * head.anchors[k][1];
            const int64_t at = (k * h + j) * w + i;
            const auto box = d.boxes[b][at];
            EXPECT_NEAR(box[0].item<float>(), x - bw / 2, 1e-4);
            EXPECT_NEAR(box[1].item<float>(), y - bh / 2, 1e-4);
            EXPECT_NEAR(box[2].item<float>(), x + bw / 2, 1e-4);
            EXPECT_NEAR(box[3].item<float>(), y + bh / 2, 1e-4);
            EXPECT_NEAR(d.objectness[b][at].item<float>(), sigmoid(ch(4)), 1e-6);
            for (int e = 0; e < c; ++e) EXPECT_NEAR(d.class_probs[b][at][e].item<float>(), sigmoid(ch(5 + e)), 1e-6);
          }
  }
}

TEST(YoloDecode, RefusesAHeadOfTheWrongWidth) {
  const auto head = two_anchor_head(3, 1);
  EXPECT_THROW(decode(torch::zeros({1, 15, 2, 2}), head, 32, 32), std::exception);
}

// Brute force: every pair of kept detections of one class overlaps by at most `iou`, and every dropped one overlaps
// a kept one of its class with a higher score (or equal and earlier) by more than `iou`.
TEST(Nms, AgreesWithTheDefinitionOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 100), size(5, 40), score(0, 1);
  std::uniform_int_distribution<int> cls(0, 2);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<data::Detection> dets;
    for (int k = 0; k < 30; ++k) {
      const float x = pos(rng), y = pos(rng);
      dets.push_back({{x, y, x + size(rng), y + size(rng)}, cls(rng), score(rng)});
    }
    const float threshold = 0.45f;
    const auto kept = nms(dets, threshold);
    for (size_t i = 1; i < kept.size(); ++i) EXPECT_GE(kept[i - 1].score, kept[i].score);
    for (size_t i = 0; i < kept.size(); ++i)
      for (size_t j = i + 1; j < kept.size(); ++j) {
        if (kept[i].class_id == kept[j].class_id) {
          EXPECT_LE(data::iou(kept[i].box, kept[j].box), threshold);
        }
      }
    // Greedy by score: replay the definition directly.
    std::vector<size_t> order(dets.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dets[a].score > dets[b].score; });
    std::vector<bool> alive(dets.size(), true);
    std::vector<data::Detection> expected;
    for (size_t oi = 0; oi < order.size(); ++oi) {
      const size_t i = order[oi];
      if (!alive[i]) continue;
      expected.push_back(dets[i]);
      for (size_t oj = oi + 1; oj < order.size(); ++oj) {
        const size_t j = order[oj];
        if (dets[j].class_id == dets[i].class_id && data::iou(dets[i].box, dets[j].box) > threshold) alive[j] = false;
      }
    }
    ASSERT_EQ(kept.size(), expected.size());
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].score, expected[i].score);
      EXPECT_EQ(kept[i].class_id, expected[i].class_id);
    }
  }
}

TEST(Nms, KeepsOverlappingBoxesOfDifferentClasses) {
  const std::vector<data::Detection> dets = {
      {{0, 0, 10, 10}, 0, 0.9f}, {{0, 0, 10, 10}, 1, 0.8f}, {{1, 0, 10, 10}, 0, 0.7f}};
  const auto kept = nms(dets, 0.45f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_EQ(kept[1].class_id, 1);
}

TEST(Candidates, KeepEveryClassAboveTheThresholdAsDarknetDoes) {
  auto head = two_anchor_head(3, 1);
  const int64_t h = 2, w = 2, a = 2, c = 3;
  auto raw = torch::full({1, a * (5 + c), h, w}, -10.0f);
  // Anchor 1 at row 1, column 0: objectness 0.9; classes 0 and 2 likely, class 1 not.
  const auto logit = [](float p) { return std::log(p / (1 - p)); };
  raw[0][1 * (5 + c) + 4][1][0] = logit(0.9f);
  raw[0][1 * (5 + c) + 5][1][0] = logit(0.8f);
  raw[0][1 * (5 + c) + 7][1][0] = logit(0.3f);
  const auto d = decode(raw, head, 32, 32);
  const auto found = candidates({d}, 0, 0.25f);
  ASSERT_EQ(found.size(), 2u);  // 0.9 x 0.8 = 0.72 and 0.9 x 0.3 = 0.27; class 1: 0.9 x 4.5e-5
  EXPECT_EQ(found[0].class_id, 0);
  EXPECT_NEAR(found[0].score, 0.72f, 1e-5);
  EXPECT_EQ(found[1].class_id, 2);
  EXPECT_NEAR(found[1].score, 0.27f, 1e-5);
  // Cell (row 1, column 0) of a 2x2 grid over 32 pixels, sigmoid(-10) offsets: centre ~ (0, 16).
  EXPECT_NEAR((found[0].box.x1 + found[0].box.x2) / 2, 16 * sigmoid(-10), 1e-3);
  EXPECT_NEAR((found[0].box.y1 + found[0].box.y2) / 2, 16 + 16 * sigmoid(-10), 1e-3);
  EXPECT_TRUE(candidates({d}, 0, 0.75f).empty());
}

}  // namespace
}  // namespace tint::detect
