// The YOLO training loss (detect/yolo_loss.h) on Yolo-Fastest 1.1's two heads (320x320 input, 10x10 and 20x20
// grids, its six anchors, iou_thresh 0.213, ignore_thresh 0.5, CIoU, iou_normalizer 0.07) with 3 classes:
// the assignment against hand-worked cases and a brute-force loop, each term against an independent computation,
// the minimum where a head predicts its truths exactly, invariance to the truths' order and to the batch size, and a
// short optimisation that must find the truths.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <tuple>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/boxes.h"
#include "tint/detect/box_loss.h"
#include "tint/detect/yolo_head.h"
#include "tint/detect/yolo_loss.h"

namespace tint::detect {
// Named apart from the other detect tests, which share one translation unit in unity builds.
namespace yolo_loss_test {
namespace {

using Targets = std::vector<std::vector<data::LabelledBox>>;

constexpr int kInput = 320;
constexpr int kClasses = 3;
const std::vector<std::array<float, 2>> kAllAnchors = {{12, 18},  {37, 49},   {52, 132},
                                                       {115, 73}, {119, 199}, {242, 238}};

YoloHead make_head(const std::vector<int>& mask, float iou_thresh) {
  YoloHead h;
  h.all_anchors = kAllAnchors;
  h.mask = mask;
  for (const int m : mask) h.anchors.push_back(kAllAnchors[m]);
  h.num_classes = kClasses;
  h.ignore_thresh = 0.5f;
  h.iou_thresh = iou_thresh;
  h.iou_normalizer = 0.07f;
  h.iou_loss = "ciou";
  return h;
}

// Yolo-Fastest 1.1's heads, in its cfg's order: the 10x10 one with the large anchors, then the 20x20 one.
std::vector<YoloHead> fastest_heads(float iou_thresh = 0.213f) {
  return {make_head({3, 4, 5}, iou_thresh), make_head({0, 1, 2}, iou_thresh)};
}
const std::vector<GridSize> kGrids = {{10, 10}, {20, 20}};

data::LabelledBox truth(float cx, float cy, float w, float h, int class_id, bool difficult = false) {
  return {{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, class_id, difficult};
}

std::vector<torch::Tensor> random_heads(int64_t batch, double scale, uint64_t seed,
                                        const std::vector<YoloHead>& heads = fastest_heads()) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> raw;
  for (size_t h = 0; h < heads.size(); ++h)
    raw.push_back(torch::randn({batch, heads[h].channels(), kGrids[h].h, kGrids[h].w}) * scale);
  return raw;
}

using Slot = std::tuple<int, int, int, int, int64_t, int64_t>;  // image, truth, head, anchor, row, col
Slot slot_of(const TargetAssignment& a) { return {a.image, a.truth, a.head, a.anchor, a.row, a.col}; }

// The assignment as darknet's loops state it, written again: for each truth and head, the shape IoU of every anchor
// (data::iou of boxes centred on the origin), the first largest wins; the masked anchors that are the best or exceed
// iou_thresh learn the truth in the cell holding its centre.
std::vector<Slot> brute_force_assign(const std::vector<YoloHead>& heads, const std::vector<GridSize>& grids,
                                     const Targets& targets) {
  std::vector<Slot> out;
  for (size_t b = 0; b < targets.size(); ++b)
    for (size_t t = 0; t < targets[b].size(); ++t) {
      const auto& box = targets[b][t].box;
      if (targets[b][t].difficult) continue;
      const data::Box centred{-box.width() / 2, -box.height() / 2, box.width() / 2, box.height() / 2};
      for (size_t h = 0; h < heads.size(); ++h) {
        std::vector<float> ious;
        for (const auto& an : heads[h].all_anchors)
          ious.push_back(data::iou({-an[0] / 2, -an[1] / 2, an[0] / 2, an[1] / 2}, centred));
        const int best = static_cast<int>(std::max_element(ious.begin(), ious.end()) - ious.begin());
        const double stride_x = double(kInput) / grids[h].w, stride_y = double(kInput) / grids[h].h;
        const auto col = static_cast<int64_t>(std::floor((box.x1 + box.x2) / 2 / stride_x));
        const auto row = static_cast<int64_t>(std::floor((box.y1 + box.y2) / 2 / stride_y));
        for (int a = 0; a < heads[h].num_anchors(); ++a) {
          const int n = heads[h].mask[a];
          if (n == best || (heads[h].iou_thresh < 1 && ious[n] > heads[h].iou_thresh))
            out.emplace_back(int(b), int(t), int(h), a, row, col);
        }
      }
    }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Slot> slots(const std::vector<TargetAssignment>& assignments) {
  std::vector<Slot> out;
  for (const auto& a : assignments) out.push_back(slot_of(a));
  std::sort(out.begin(), out.end());
  return out;
}

// Worked by hand from the anchors' shape IoUs with each truth (strides 32 and 16):
//   100x60 at (50, 70):  12x18 .036, 37x49 .302, 52x132 .320, 115x73 .715 (best), 119x199 .253, 242x238 .104;
//   10x16 at (161, 15):  12x18 .741 (best), every other under .1;
//   250x250 at (300, 300): 119x199 .379, 242x238 .922 (best), the rest under .2.
TEST(YoloLoss, AssignsHandWorkedTruthsToTheirHeadsAnchorsAndCells) {
  const Targets targets = {{truth(50, 70, 100, 60, 1), truth(161, 15, 10, 16, 2)}, {truth(300, 300, 250, 250, 0)}};
  const auto only_best = assign_targets(fastest_heads(1.0f), kGrids, targets, kInput, kInput);
  const std::vector<Slot> best = {{0, 0, 0, 0, 2, 1}, {0, 1, 1, 0, 0, 10}, {1, 0, 0, 2, 9, 9}};
  EXPECT_EQ(slots(only_best), best);
  for (const auto& a : only_best) EXPECT_TRUE(a.best);

  const auto with_extra = assign_targets(fastest_heads(0.213f), kGrids, targets, kInput, kInput);
  const std::vector<Slot> all = {
      {0, 0, 0, 0, 2, 1},   // 115x73, best
      {0, 0, 0, 1, 2, 1},   // 119x199 (.253), same cell
      {0, 0, 1, 1, 4, 3},   // 37x49 (.302) in the 20x20 head: its own cell there
      {0, 0, 1, 2, 4, 3},   // 52x132 (.320)
      {0, 1, 1, 0, 0, 10},  // 12x18, best
      {1, 0, 0, 1, 9, 9},   // 119x199 (.379)
      {1, 0, 0, 2, 9, 9},   // 242x238, best
  };
  EXPECT_EQ(slots(with_extra), all);
  // Extras are flagged as such.
  for (const auto& a : with_extra)
    EXPECT_EQ(a.best, (a.head == 0 && a.anchor == 0 && a.truth == 0 && a.image == 0) ||
                          (a.head == 1 && a.anchor == 0) || (a.image == 1 && a.anchor == 2));
}

TEST(YoloLoss, AssignmentMatchesABruteForceLoopOnRandomTruths) {
  torch::manual_seed(5);
  Targets targets(4);
  for (auto& image : targets)
    for (int t = 0; t < 12; ++t) {
      const auto r = torch::rand({5});
      const float w = 4 + 250 * r[2].item<float>() * r[2].item<float>(), h = 4 + 250 * r[3].item<float>();
      image.push_back(truth(1 + 318 * r[0].item<float>(), 1 + 318 * r[1].item<float>(), w, h,
                            static_cast<int>(r[4].item<float>() * kClasses) % kClasses));
    }
  for (const float thresh : {1.0f, 0.213f, 0.4f}) {
    SCOPED_TRACE(thresh);
    const auto heads = fastest_heads(thresh);
    const auto got = slots(assign_targets(heads, kGrids, targets, kInput, kInput));
    EXPECT_EQ(got, brute_force_assign(heads, kGrids, targets));
    // Every truth has its best anchor in one of the heads (the masks cover all anchors).
    EXPECT_GE(got.size(), 48u);
  }
}

// The assigned predictions' class logits, read from the raw channels directly: anchor a's class c at
// a * (5 + C) + 5 + c.
torch::Tensor assigned_class_logits(const std::vector<torch::Tensor>& raw, const std::vector<Slot>& expected) {
  std::vector<torch::Tensor> rows;
  for (const auto& [b, t, h, a, row, col] : expected)
    rows.push_back(raw[h][b].narrow(0, a * (5 + kClasses) + 5, kClasses).select(1, row).select(1, col));
  return torch::stack(rows);
}

TEST(YoloLoss, ClassTermIsBceWithLogitsOnTheAssignedLogits) {
  const Targets targets = {{truth(50, 70, 100, 60, 1), truth(161, 15, 10, 16, 2), truth(200, 230, 60, 120, 0)},
                           {truth(300, 300, 40, 40, 2)}};
  const auto raw = random_heads(2, 2.0, 21);
  for (const float eps : {0.0f, 0.1f}) {
    for (const float cls_normalizer : {1.0f, 0.5f}) {
      SCOPED_TRACE(std::to_string(eps) + " " + std::to_string(cls_normalizer));
      auto heads = fastest_heads();
      for (auto& h : heads) h.cls_normalizer = cls_normalizer;
      YoloLossOptions options;
      options.label_smoothing = eps;
      const auto loss = compute_yolo_loss(raw, heads, targets, kInput, kInput, options);
      const auto expected = brute_force_assign(heads, kGrids, targets);
      const auto logits = assigned_class_logits(raw, expected);
      auto target = torch::full({int64_t(expected.size()), kClasses}, eps / 2);
      for (size_t k = 0; k < expected.size(); ++k)
        target[k][targets[std::get<0>(expected[k])][std::get<1>(expected[k])].class_id] = 1 - eps / 2;
      const double want =
          cls_normalizer *
          torch::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::Sum).item<double>() / 2;
      EXPECT_NEAR(loss.classification.item<double>(), want, 1e-5 * want);
      EXPECT_EQ(loss.assignments, int64_t(expected.size()));
    }
  }
}

double bce(double logit, double target) {
  return std::max(logit, 0.0) - logit * target + std::log1p(std::exp(-std::abs(logit)));
}

struct Terms {
  double box = 0, objectness = 0, classification = 0;
  int64_t ignored = 0;
};

// The whole loss by loops over every prediction of every head: objectness target 1 (or the clamped box measure)
// where assigned, else left out when data::iou with some truth of the image exceeds ignore_thresh, else 0.
Terms brute_force_loss(const std::vector<torch::Tensor>& raw, const std::vector<YoloHead>& heads,
                       const Targets& targets, const YoloLossOptions& options) {
  const auto expected = brute_force_assign(heads, kGrids, targets);
  const int64_t batch = int64_t(targets.size());
  Terms out;
  for (size_t h = 0; h < heads.size(); ++h) {
    const auto& head = heads[h];
    const auto kind = iou_kind_from_name(options.iou_loss.empty() ? head.iou_loss : options.iou_loss);
    const auto boxes = decode(raw[h], head, kInput, kInput).boxes;  // [N, A*H*W, 4]
    const auto r = raw[h].accessor<float, 4>();
    const auto bx = boxes.accessor<float, 3>();
    const int64_t gh = kGrids[h].h, gw = kGrids[h].w, c = head.num_classes;
    std::map<std::tuple<int64_t, int, int64_t, int64_t>, double> objectness_target;  // (image, anchor, row, col)
    for (const auto& [b, t, hh, a, row, col] : expected) {
      if (hh != int(h)) continue;
      const auto& tr = targets[b][t];
      const int64_t m = (a * gh + row) * gw + col;
      const auto pred = torch::tensor({bx[b][m][0], bx[b][m][1], bx[b][m][2], bx[b][m][3]});
      const auto want = torch::tensor({tr.box.x1, tr.box.y1, tr.box.x2, tr.box.y2});
      const double measure = box_iou(pred, want, kind).item<double>();
      out.box += head.iou_normalizer * (1 - measure);
      for (int64_t k = 0; k < c; ++k) {
        const double target = k == tr.class_id ? 1 - options.label_smoothing / 2 : options.label_smoothing / 2;
        out.classification += head.cls_normalizer * bce(r[b][a * (5 + c) + 5 + k][row][col], target);
      }
      const double quality = options.objectness_iou_target ? std::max(0.0, measure) : 1.0;
      auto [it, fresh] = objectness_target.try_emplace({b, a, row, col}, quality);
      if (!fresh) it->second = std::max(it->second, quality);
    }
    for (int64_t b = 0; b < batch; ++b)
      for (int a = 0; a < head.num_anchors(); ++a)
        for (int64_t row = 0; row < gh; ++row)
          for (int64_t col = 0; col < gw; ++col) {
            const double logit = r[b][a * (5 + c) + 4][row][col];
            const auto found = objectness_target.find({b, a, row, col});
            if (found != objectness_target.end()) {
              out.objectness += head.obj_normalizer * bce(logit, found->second);
              continue;
            }
            const int64_t m = (a * gh + row) * gw + col;
            const data::Box pred{bx[b][m][0], bx[b][m][1], bx[b][m][2], bx[b][m][3]};
            float best = 0;
            for (const auto& tr : targets[b]) best = std::max(best, data::iou(pred, tr.box));
            if (best > head.ignore_thresh) {
              ++out.ignored;
              continue;
            }
            out.objectness += head.obj_normalizer * bce(logit, 0);
          }
  }
  out.box /= batch, out.objectness /= batch, out.classification /= batch;
  return out;
}

// Truths for the term tests: several sizes, two images, one difficult; and one whose shape matches an anchor at a
// cell centre, so that the unassigned neighbours of a near-zero head overlap it and get ignored.
Targets term_targets() {
  return {{truth(50, 70, 100, 60, 1), truth(161, 15, 10, 16, 2), truth(200, 230, 60, 120, 0),
           truth(88, 248, 37, 49, 1, /*difficult=*/true)},
          {truth(300, 300, 40, 40, 2), truth(168, 168, 115, 73, 0)}};
}

TEST(YoloLoss, EveryTermMatchesLoopsOverEveryPrediction) {
  const auto targets = term_targets();
  struct Case {
    const char* name;
    YoloLossOptions options;
    float obj_normalizer;
  };
  YoloLossOptions iou_target;
  iou_target.objectness_iou_target = true;
  YoloLossOptions giou_smoothed;
  giou_smoothed.iou_loss = "giou";
  giou_smoothed.label_smoothing = 0.2f;
  const Case cases[] = {{"darknet's defaults", {}, 1.0f},
                        {"objectness target = IoU", iou_target, 1.0f},
                        {"giou, smoothed labels, obj_normalizer 0.4", giou_smoothed, 0.4f}};
  for (const double scale : {0.1, 1.5}) {
    const auto raw = random_heads(2, scale, 8);
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(c.name) + ", raw scale " + std::to_string(scale));
      auto heads = fastest_heads();
      for (auto& h : heads) h.obj_normalizer = c.obj_normalizer;
      const auto got = compute_yolo_loss(raw, heads, targets, kInput, kInput, c.options);
      const auto want = brute_force_loss(raw, heads, targets, c.options);
      EXPECT_NEAR(got.box.item<double>(), want.box, 1e-5 * (1 + want.box));
      EXPECT_NEAR(got.objectness.item<double>(), want.objectness, 1e-5 * (1 + want.objectness));
      EXPECT_NEAR(got.classification.item<double>(), want.classification, 1e-5 * (1 + want.classification));
      EXPECT_NEAR(got.total.item<double>(), want.box + want.objectness + want.classification,
                  1e-5 * (1 + got.total.item<double>()));
      EXPECT_EQ(got.ignored, want.ignored);
      if (scale < 1) {
        EXPECT_GT(got.ignored, 0);  // near-zero heads overlap the difficult, anchor-shaped truth: exercised
      }
      EXPECT_EQ(got.unassigned_truths, 0);
    }
  }
}

// A raw head whose assigned anchors decode exactly to their truths, with objectness and class logits at +-20:
// every term is about zero, and moving any box channel of an assigned prediction makes the box term grow.
TEST(YoloLoss, AHeadPredictingItsTruthsExactlyIsAMinimum) {
  auto heads = fastest_heads();
  heads[0].scale_x_y = 1.05f;  // the centre formula with darknet's scale_x_y
  const Targets targets = {{truth(50, 70, 100, 60, 1), truth(161, 15, 10, 16, 2)}, {truth(300, 290, 250, 230, 0)}};
  std::vector<torch::Tensor> raw;
  for (size_t h = 0; h < heads.size(); ++h)
    raw.push_back(torch::full({2, heads[h].channels(), kGrids[h].h, kGrids[h].w}, -20.0f));
  const auto assignments = assign_targets(heads, kGrids, targets, kInput, kInput);
  ASSERT_EQ(assignments.size(), 7u);
  for (const auto& as : assignments) {
    const auto& head = heads[as.head];
    const auto& tr = targets[as.image][as.truth].box;
    const double stride = double(kInput) / kGrids[as.head].w, s = head.scale_x_y;
    const auto logit = [](double p) { return std::log(p / (1 - p)); };
    // centre = (col + sigmoid(tx) * s - (s - 1) / 2) * stride
    const double fx = (tr.x1 + tr.x2) / 2 / stride - as.col, fy = (tr.y1 + tr.y2) / 2 / stride - as.row;
    auto at =
        raw[as.head][as.image].narrow(0, as.anchor * (5 + kClasses), 5 + kClasses).select(1, as.row).select(1, as.col);
    at[0] = logit((fx + (s - 1) / 2) / s);
    at[1] = logit((fy + (s - 1) / 2) / s);
    at[2] = std::log(tr.width() / head.anchors[as.anchor][0]);
    at[3] = std::log(tr.height() / head.anchors[as.anchor][1]);
    at[4] = 20.0f;
    at[5 + targets[as.image][as.truth].class_id] = 20.0f;
  }
  for (auto& r : raw) r.requires_grad_(true);
  const auto loss = compute_yolo_loss(raw, heads, targets, kInput, kInput);
  EXPECT_LT(loss.box.item<double>(), 1e-5);
  EXPECT_LT(loss.classification.item<double>(), 1e-6);
  EXPECT_LT(loss.objectness.item<double>(), 1e-5);
  const auto grads = torch::autograd::grad({loss.total}, raw);
  for (size_t h = 0; h < heads.size(); ++h) {
    // No class or objectness channel is pushed anywhere.
    for (int a = 0; a < heads[h].num_anchors(); ++a)
      EXPECT_LT(grads[h].narrow(1, a * (5 + kClasses) + 4, 1 + kClasses).abs().max().item<double>(), 1e-6);
  }
  // Each box channel of each assigned prediction sits at a minimum of the box term.
  const double at_minimum = loss.box.item<double>();
  for (const auto& as : assignments)
    for (int ch = 0; ch < 4; ++ch)
      for (const float delta : {-0.05f, 0.05f}) {
        auto moved = std::vector<torch::Tensor>{raw[0].detach().clone(), raw[1].detach().clone()};
        moved[as.head][as.image][as.anchor * (5 + kClasses) + ch][as.row][as.col] += delta;
        EXPECT_GT(compute_yolo_loss(moved, heads, targets, kInput, kInput).box.item<double>(), at_minimum + 1e-5)
            << "head " << as.head << " anchor " << as.anchor << " channel " << ch << " " << delta;
      }
}

TEST(YoloLoss, GradientsAreFiniteAndReachEveryKindOfChannel) {
  const auto targets = term_targets();
  for (const auto* kind : {"iou", "giou", "diou", "ciou"}) {
    for (const double scale : {1.0, 5.0}) {
      SCOPED_TRACE(std::string(kind) + " scale " + std::to_string(scale));
      auto raw = random_heads(2, scale, 13);
      for (auto& r : raw) r.requires_grad_(true);
      YoloLossOptions options;
      options.iou_loss = kind;
      options.objectness_iou_target = scale > 1;
      const auto loss = compute_yolo_loss(raw, fastest_heads(), targets, kInput, kInput, options);
      ASSERT_TRUE(std::isfinite(loss.total.item<double>()));
      const auto grads = torch::autograd::grad({loss.total}, raw);
      for (const auto& g : grads) EXPECT_TRUE(torch::isfinite(g).all().item<bool>());
      if (scale > 1) continue;  // saturated logits may have vanishing pulls; finite is what counts there
      // The assigned prediction of the first truth gets a pull on its box, objectness and class channels.
      const auto first = grads[0][0].narrow(0, 0, 5 + kClasses).select(1, 2).select(1, 1);  // anchor 0, row 2, col 1
      EXPECT_GT(first.narrow(0, 0, 4).abs().max().item<double>(), 1e-6);
      EXPECT_GT(first[4].abs().item<double>(), 1e-6);
      EXPECT_GT(first.narrow(0, 5, kClasses).abs().min().item<double>(), 1e-6);
    }
  }
}

TEST(YoloLoss, TheOrderOfTruthsDoesNotMatterEvenWhenTwoShareAnAnchor) {
  // The first two land on the same cells and anchors (same best and extra anchors), with different classes.
  const std::vector<data::LabelledBox> truths = {truth(50, 70, 100, 60, 1), truth(52, 72, 96, 64, 0),
                                                 truth(161, 15, 10, 16, 2), truth(200, 230, 60, 120, 0),
                                                 truth(88, 248, 37, 49, 1, true)};
  {
    const auto as = assign_targets(fastest_heads(), kGrids, {truths}, kInput, kInput);
    std::map<std::tuple<int, int, int64_t, int64_t>, int> per_slot;
    for (const auto& a : as) ++per_slot[{a.head, a.anchor, a.row, a.col}];
    EXPECT_EQ(per_slot[std::make_tuple(0, 0, int64_t(2), int64_t(1))], 2);  // shared, so the case is exercised
  }
  const std::vector<data::LabelledBox> shuffled = {truths[3], truths[1], truths[4], truths[0], truths[2]};
  const auto raw = random_heads(1, 1.0, 17);
  for (const bool iou_target : {false, true}) {
    SCOPED_TRACE(iou_target);
    YoloLossOptions options;
    options.objectness_iou_target = iou_target;
    std::vector<std::vector<torch::Tensor>> grads;
    std::vector<YoloLoss> losses;
    for (const auto* order : {&truths, &shuffled}) {
      auto r = std::vector<torch::Tensor>{raw[0].clone().requires_grad_(true), raw[1].clone().requires_grad_(true)};
      losses.push_back(compute_yolo_loss(r, fastest_heads(), {*order}, kInput, kInput, options));
      grads.push_back(torch::autograd::grad({losses.back().total}, r));
    }
    for (const auto& part : {&YoloLoss::box, &YoloLoss::objectness, &YoloLoss::classification, &YoloLoss::total})
      EXPECT_NEAR((losses[0].*part).item<double>(), (losses[1].*part).item<double>(),
                  1e-6 * (1 + (losses[0].*part).abs().item<double>()));
    EXPECT_EQ(losses[0].ignored, losses[1].ignored);
    for (size_t h = 0; h < 2; ++h) EXPECT_LT(test::max_error(grads[0][h], grads[1][h]), 1e-6);
  }
}

// Per-image averaging: 64 copies of one image have that image's loss, each copy gets 1/64 of its gradient, and two
// different images give the mean of their losses.
TEST(YoloLoss, LossIsTheMeanOverImagesSoBatchSizeDoesNotScaleIt) {
  const auto all = term_targets();
  const auto one = random_heads(1, 1.0, 29), other = random_heads(1, 1.0, 31);
  const auto single = compute_yolo_loss(one, fastest_heads(), {all[0]}, kInput, kInput);
  const auto single_other = compute_yolo_loss(other, fastest_heads(), {all[1]}, kInput, kInput);

  std::vector<torch::Tensor> copies = {one[0].repeat({64, 1, 1, 1}).requires_grad_(true),
                                       one[1].repeat({64, 1, 1, 1}).requires_grad_(true)};
  const auto batch = compute_yolo_loss(copies, fastest_heads(), Targets(64, all[0]), kInput, kInput);
  for (const auto& part : {&YoloLoss::box, &YoloLoss::objectness, &YoloLoss::classification, &YoloLoss::total})
    EXPECT_NEAR((batch.*part).item<double>(), (single.*part).item<double>(),
                1e-5 * (1 + (single.*part).item<double>()));
  auto lone = std::vector<torch::Tensor>{one[0].clone().requires_grad_(true), one[1].clone().requires_grad_(true)};
  const auto lone_grad =
      torch::autograd::grad({compute_yolo_loss(lone, fastest_heads(), {all[0]}, kInput, kInput).total}, lone);
  const auto batch_grad = torch::autograd::grad({batch.total}, copies);
  for (size_t h = 0; h < 2; ++h) EXPECT_LT(test::max_error(batch_grad[h][5] * 64, lone_grad[h][0]), 1e-5);

  const std::vector<torch::Tensor> pair = {torch::cat({one[0], other[0]}), torch::cat({one[1], other[1]})};
  const auto both = compute_yolo_loss(pair, fastest_heads(), all, kInput, kInput);
  EXPECT_NEAR(both.total.item<double>(), (single.total.item<double>() + single_other.total.item<double>()) / 2,
              1e-5 * both.total.item<double>());
}

// A difficult truth is never learnt and not counted as unassigned, but predictions overlapping it are not pushed
// towards "no object"; a truth whose best anchor no mask holds is counted. With all-zero heads every negative
// costs exactly log 2, so the ignored predictions account for the whole difference.
TEST(YoloLoss, DifficultTruthsOnlyShieldTheirOverlapsAndUnmaskedBestAnchorsAreCounted) {
  const auto zeros = [] {
    return std::vector<torch::Tensor>{torch::zeros({1, 24, 10, 10}), torch::zeros({1, 24, 20, 20})};
  };
  // The zero head's prediction at the 20x20 head's anchor 1 (37x49), cell (5, 5), is this box exactly.
  const auto difficult = truth(88, 88, 37, 49, 0, true);
  const auto with = compute_yolo_loss(zeros(), fastest_heads(), {{difficult}}, kInput, kInput);
  const auto without = compute_yolo_loss(zeros(), fastest_heads(), {{}}, kInput, kInput);
  EXPECT_EQ(with.assignments, 0);
  EXPECT_EQ(with.unassigned_truths, 0);
  EXPECT_EQ(without.ignored, 0);
  EXPECT_GE(with.ignored, 1);
  EXPECT_NEAR(without.objectness.item<double>(), 1500 * std::log(2.0), 1e-3);
  EXPECT_NEAR(without.objectness.item<double>() - with.objectness.item<double>(), with.ignored * std::log(2.0), 1e-3);
  EXPECT_EQ(without.box.item<double>(), 0);
  EXPECT_EQ(without.classification.item<double>(), 0);

  // Anchor 0 (12x18) in no mask: a 10x16 truth's best anchor is nowhere, and no other anchor passes iou_thresh.
  auto heads = std::vector<YoloHead>{make_head({3, 4, 5}, 0.213f), make_head({1, 2}, 0.213f)};
  const auto small = compute_yolo_loss({torch::zeros({1, 24, 10, 10}), torch::zeros({1, 16, 20, 20})}, heads,
                                       {{truth(161, 15, 10, 16, 2), truth(50, 70, 100, 60, 1)}}, kInput, kInput);
  EXPECT_EQ(small.unassigned_truths, 1);
  EXPECT_EQ(small.assignments, 4);  // the 100x60 truth: best 115x73, extras 119x199, 37x49 and 52x132
}

// Adam on free raw heads: the loss falls by a large factor and, for each truth, the most confident prediction of
// its class decodes to a box overlapping it by IoU > 0.9.
TEST(YoloLoss, ATinyOptimisationFindsTheTruths) {
  const auto heads = fastest_heads();
  const Targets targets = {{truth(100, 140, 90, 60, 0), truth(230, 80, 20, 30, 2), truth(250, 250, 140, 200, 1)}};
  auto raw = random_heads(1, 0.1, 37);
  for (auto& r : raw) r.requires_grad_(true);
  torch::optim::Adam adam(raw, torch::optim::AdamOptions(0.1));
  double first = 0, last = 0, first_box = 0, last_box = 0;
  for (int step = 0; step < 200; ++step) {
    adam.zero_grad();
    const auto loss = compute_yolo_loss(raw, heads, targets, kInput, kInput);
    if (step == 0) first = loss.total.item<double>();
    last = loss.total.item<double>();
    if (step == 0) first_box = loss.box.item<double>();
    last_box = loss.box.item<double>();
    loss.total.backward();
    adam.step();
  }
  std::cout << "[          ] total loss " << first << " -> " << last << " (x" << first / last << "), box term "
            << first_box << " -> " << last_box << "\n";
  EXPECT_GT(first / last, 50);          // measured: 1055 -> 9.9 (x107); the 1500 negatives' objectness falls slowest
  EXPECT_LT(last_box, first_box / 10);  // measured: 0.433 -> 0.014

  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> boxes, scores;
  for (size_t h = 0; h < heads.size(); ++h) {
    const auto d = decode(raw[h], heads[h], kInput, kInput);
    boxes.push_back(d.boxes[0]);
    scores.push_back(d.objectness[0].unsqueeze(1) * d.class_probs[0]);  // [A*H*W, C]
  }
  const auto all_boxes = torch::cat(boxes), all_scores = torch::cat(scores);
  for (const auto& tr : targets[0]) {
    const auto best = all_scores.select(1, tr.class_id).argmax().item<int64_t>();
    const auto b = all_boxes[best];
    const float overlap =
        data::iou({b[0].item<float>(), b[1].item<float>(), b[2].item<float>(), b[3].item<float>()}, tr.box);
    std::cout << "[          ] class " << tr.class_id << ": best box IoU " << overlap << ", score "
              << all_scores[best][tr.class_id].item<float>() << "\n";
    EXPECT_GT(overlap, 0.9f) << "class " << tr.class_id;
  }
}

TEST(YoloLoss, BadInputIsRefusedNamingWhatIsWrong) {
  const auto heads = fastest_heads();
  const auto raw = random_heads(2, 1.0, 1);
  const auto message = [&](const Targets& targets, std::vector<YoloHead> hs = {}, std::vector<torch::Tensor> r = {},
                           YoloLossOptions options = {}) {
    return test::error_of(
        [&] { compute_yolo_loss(r.empty() ? raw : r, hs.empty() ? heads : hs, targets, kInput, kInput, options); });
  };
  const auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  const Targets ok = {{truth(50, 50, 20, 20, 0)}, {}};
  EXPECT_EQ(message(ok), "<no error>");
  EXPECT_PRED2(contains, message({{}, {truth(50, 50, 20, 20, 3)}}), "image 1, truth 0: class 3 outside head 0's 3");
  EXPECT_PRED2(contains, message({{}, {truth(50, 50, 20, 20, -1)}}), "image 1, truth 0: class -1");
  EXPECT_PRED2(contains, message({{truth(50, 50, 20, 20, 0), truth(50, 50, 0, 20, 0)}, {}}),
               "image 0, truth 1: box (50, 40, 50, 60) is empty");
  EXPECT_PRED2(contains, message({{truth(NAN, 50, 20, 20, 0)}, {}}), "image 0, truth 0: box (nan");
  EXPECT_PRED2(contains, message({{truth(330, 50, 20, 20, 0)}, {}}), "centre (330, 50) outside the 320x320 input");
  EXPECT_PRED2(contains, message({{}}), "head 0: expected raw output [1, 24, H, W]");
  EXPECT_PRED2(contains, message(ok, {}, {raw[0]}), "1 raw head outputs for 2 [yolo] heads");
  EXPECT_PRED2(contains, message(ok, {}, {raw[0].narrow(1, 0, 16), raw[1]}), "got 2x16x10x10");
  auto mse = heads;
  mse[1].iou_loss = "mse";
  EXPECT_PRED2(contains, message(ok, mse), "head 1: iou_loss: expected iou, giou, diou or ciou, got 'mse'");
  YoloLossOptions override_mse;
  override_mse.iou_loss = "ciou";
  EXPECT_EQ(message(ok, mse, {}, override_mse), "<no error>");  // an explicit choice overrides the cfg's
  auto truth_thresh = heads;
  truth_thresh[0].truth_thresh = 0.7f;
  EXPECT_PRED2(contains, message(ok, truth_thresh), "head 0: truth_thresh=0.7 is not supported");
  auto bad_mask = heads;
  bad_mask[0].mask = {3, 4, 6};
  EXPECT_PRED2(contains, message(ok, bad_mask), "head 0: mask index 6 outside the 6 anchors");
  auto stale_anchor = heads;
  stale_anchor[1].anchors[2] = {50, 130};
  EXPECT_PRED2(contains, message(ok, stale_anchor),
               "head 1: anchor 2 is 50x130 but all_anchors[2] (its mask index) is 52x132");
  YoloLossOptions smoothing;
  smoothing.label_smoothing = 1.5f;
  EXPECT_PRED2(contains, message(ok, {}, {}, smoothing), "label smoothing 1.5 outside [0, 1]");
}

}  // namespace
}  // namespace yolo_loss_test
}  // namespace tint::detect
