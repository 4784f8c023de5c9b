// IoU, GIoU, DIoU and CIoU (detect/box_loss.h) against their closed forms on hand-made boxes, against data::iou on
// every pair of random boxes, their gradients against central differences in double, and degenerate boxes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/boxes.h"
#include "tint/detect/box_loss.h"

namespace tint::detect {
// Named apart from the other detect tests, which share one translation unit in unity builds.
namespace box_loss_test {
namespace {

constexpr IouKind kKinds[] = {IouKind::iou, IouKind::giou, IouKind::diou, IouKind::ciou};

torch::Tensor box(double x1, double y1, double x2, double y2) {
  return torch::tensor({x1, y1, x2, y2}, torch::kDouble);
}

// CIoU's aspect term, written from the paper: v = 4/pi^2 (atan(w_b/h_b) - atan(w_a/h_a))^2.
double aspect_v(double aw, double ah, double bw, double bh) {
  const double d = std::atan(bw / bh) - std::atan(aw / ah);
  return 4 / (M_PI * M_PI) * d * d;
}

struct ClosedForm {
  const char* name;
  double a[4], b[4];
  double iou, giou, diou, v;  // v: CIoU's aspect term; CIoU = diou - alpha v, alpha = v / (1 - iou + v)
};

// Each value worked out by hand from the definitions (areas, enclosing box C, centre distance, C's diagonal).
const ClosedForm kCases[] = {
    // identical: everything 1
    {"identical", {0, 0, 4, 2}, {0, 0, 4, 2}, 1, 1, 1, 0},
    // nested, same centre: |A∩B| = 4, |A∪B| = 16, C = A
    {"nested concentric", {0, 0, 4, 4}, {1, 1, 3, 3}, 0.25, 0.25, 0.25, 0},
    // nested in a corner: centres (2, 2) and (1, 1): rho^2 = 2, c^2 = 32
    {"nested in a corner", {0, 0, 4, 4}, {0, 0, 2, 2}, 0.25, 0.25, 0.25 - 2.0 / 32, 0},
    // disjoint: union 1 + 2 = 3, C = (0, 0, 4, 3) of area 12; centres (0.5, 0.5), (3, 2.5): rho^2 = 10.25, c^2 = 25
    {"disjoint", {0, 0, 1, 1}, {2, 2, 4, 3}, 0, -(12.0 - 3) / 12, -10.25 / 25, aspect_v(1, 1, 2, 1)},
    // same centre, 4x2 against 2x4: |A∩B| = 4, union 12, C = (-2, -2, 2, 2) of area 16
    {"same centre, other aspect",
     {-2, -1, 2, 1},
     {-1, -2, 1, 2},
     1.0 / 3,
     1.0 / 3 - 4.0 / 16,
     1.0 / 3,
     aspect_v(4, 2, 2, 4)},
    // overlapping, shifted: |A∩B| = 2 * 1 = 2, union 8 + 6 - 2 = 12, C = (0, 0, 5, 3) of area 15; centres (2, 1)
    // and (3.5, 2): rho^2 = 2.25 + 1, c^2 = 25 + 9
    {"overlapping", {0, 0, 4, 2}, {2, 1, 5, 3}, 1.0 / 6, 1.0 / 6 - 3.0 / 15, 1.0 / 6 - 3.25 / 34, aspect_v(4, 2, 3, 2)},
};

TEST(BoxLoss, ClosedFormsOnHandMadeBoxes) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto a = box(c.a[0], c.a[1], c.a[2], c.a[3]), b = box(c.b[0], c.b[1], c.b[2], c.b[3]);
    const double ciou = c.v == 0 ? c.diou : c.diou - c.v * c.v / (1 - c.iou + c.v);
    EXPECT_NEAR(box_iou(a, b, IouKind::iou).item<double>(), c.iou, 1e-6);
    EXPECT_NEAR(box_iou(a, b, IouKind::giou).item<double>(), c.giou, 1e-6);
    EXPECT_NEAR(box_iou(a, b, IouKind::diou).item<double>(), c.diou, 1e-6);
    EXPECT_NEAR(box_iou(a, b, IouKind::ciou).item<double>(), ciou, 1e-6);
    // Symmetric in its two boxes.
    for (const auto kind : kKinds)
      EXPECT_NEAR(box_iou(b, a, kind).item<double>(), box_iou(a, b, kind).item<double>(), 1e-12);
  }
  // The aspect term is not nothing where the case says so: CIoU sits below DIoU.
  const auto a = box(-2, -1, 2, 1), b = box(-1, -2, 1, 2);
  EXPECT_LT(box_iou(a, b, IouKind::ciou).item<double>(), box_iou(a, b, IouKind::diou).item<double>() - 0.03);
}

// Every pair of two random sets ([M, 1, 4] against [1, T, 4]) against data::iou one pair at a time, and the
// measures' order: IoU >= GIoU, IoU >= DIoU >= CIoU, all in [-1, 1].
TEST(BoxLoss, BroadcastsOverEveryPairAsDataIouDoes) {
  torch::manual_seed(3);
  const auto corners = [](int64_t n) {
    const auto xy = torch::rand({n, 2}) * 20, wh = torch::rand({n, 2}) * 8 + 0.5;
    return torch::cat({xy, xy + wh}, 1);
  };
  const auto a = corners(7), b = corners(9);
  const auto got = box_iou(a.unsqueeze(1), b.unsqueeze(0));
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{7, 9}));
  int overlapping = 0;
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 9; ++j) {
      const auto p = a[i], q = b[j];
      const data::Box pa{p[0].item<float>(), p[1].item<float>(), p[2].item<float>(), p[3].item<float>()};
      const data::Box qb{q[0].item<float>(), q[1].item<float>(), q[2].item<float>(), q[3].item<float>()};
      const float want = data::iou(pa, qb);
      overlapping += want > 0;
      EXPECT_NEAR(got[i][j].item<float>(), want, 1e-5) << i << "," << j;
    }
  EXPECT_GT(overlapping, 5);  // the sets are not all disjoint, so the intersection is exercised
  const auto iou = box_iou(a.unsqueeze(1), b.unsqueeze(0), IouKind::iou);
  const auto giou = box_iou(a.unsqueeze(1), b.unsqueeze(0), IouKind::giou);
  const auto diou = box_iou(a.unsqueeze(1), b.unsqueeze(0), IouKind::diou);
  const auto ciou = box_iou(a.unsqueeze(1), b.unsqueeze(0), IouKind::ciou);
  EXPECT_TRUE(giou.le(iou + 1e-6).all().item<bool>());
  EXPECT_TRUE(diou.le(iou + 1e-6).all().item<bool>());
  EXPECT_TRUE(ciou.le(diou + 1e-6).all().item<bool>());
  EXPECT_TRUE(giou.ge(-1 - 1e-6).all().item<bool>());
  EXPECT_TRUE(ciou.ge(-1 - 1e-6).all().item<bool>());
}

// Random box pairs in double, overlapping or not; corners differ, so no min/max sits on a tie (a kink).
std::pair<torch::Tensor, torch::Tensor> random_pairs(int64_t n) {
  torch::manual_seed(11);
  const auto opts = torch::TensorOptions().dtype(torch::kDouble);
  const auto xy = torch::rand({n, 2}, opts) * 10, wh = torch::rand({n, 2}, opts) * 5 + 1;
  const auto shift = (torch::rand({n, 2}, opts) - 0.5) * 8, wh2 = torch::rand({n, 2}, opts) * 5 + 1;
  return {torch::cat({xy, xy + wh}, 1), torch::cat({xy + shift, xy + shift + wh2}, 1)};
}

// The function whose gradient autograd computes. For CIoU that is DIoU - alpha v with alpha held at its value at
// the point (alpha is a weight, not differentiated: box_loss.h); v is computed here from the paper's formula.
torch::Tensor reference(const torch::Tensor& a, const torch::Tensor& b, IouKind kind, const torch::Tensor& alpha) {
  if (kind != IouKind::ciou) return box_iou(a, b, kind);
  const auto w = [](const torch::Tensor& x) { return x.select(-1, 2) - x.select(-1, 0); };
  const auto h = [](const torch::Tensor& x) { return x.select(-1, 3) - x.select(-1, 1); };
  const auto v = 4 / (M_PI * M_PI) * (torch::atan(w(b) / h(b)) - torch::atan(w(a) / h(a))).pow(2);
  return box_iou(a, b, IouKind::diou) - alpha * v;
}

TEST(BoxLoss, GradientsMatchCentralDifferencesInDouble) {
  const auto [a0, b0] = random_pairs(12);
  for (const auto kind : kKinds) {
    SCOPED_TRACE(iou_kind_name(kind));
    const auto a = a0.clone().requires_grad_(true), b = b0.clone().requires_grad_(true);
    const auto value = box_iou(a, b, kind);
    const auto grads = torch::autograd::grad({value.sum()}, {a, b});
    // alpha at the point, from the values: v = DIoU - CIoU, alpha v = v^2 / (1 - IoU + v).
    torch::Tensor alpha;
    {
      const auto iou = box_iou(a0, b0, IouKind::iou), diou = box_iou(a0, b0, IouKind::diou);
      const auto ciou = box_iou(a0, b0, IouKind::ciou);
      const auto w = [](const torch::Tensor& x) { return x.select(-1, 2) - x.select(-1, 0); };
      const auto h = [](const torch::Tensor& x) { return x.select(-1, 3) - x.select(-1, 1); };
      const auto v = 4 / (M_PI * M_PI) * (torch::atan(w(b0) / h(b0)) - torch::atan(w(a0) / h(a0))).pow(2);
      alpha = v / (1 - iou + v);
      EXPECT_LT((diou - alpha * v - ciou).abs().max().item<double>(), 1e-6);  // the value is the paper's
    }
    const double step = 1e-6;
    for (int which = 0; which < 2; ++which) {
      const auto& base = which == 0 ? a0 : b0;
      auto numeric = torch::zeros_like(base);
      for (int64_t i = 0; i < base.size(0); ++i)
        for (int64_t k = 0; k < 4; ++k) {
          auto plus = base.clone(), minus = base.clone();
          plus[i][k] += step;
          minus[i][k] -= step;
          const auto f = [&](const torch::Tensor& moved) {
            return which == 0 ? reference(moved, b0, kind, alpha) : reference(a0, moved, kind, alpha);
          };
          numeric[i][k] = ((f(plus) - f(minus)) / (2 * step))[i];
        }
      EXPECT_LT(test::max_error(grads[which], numeric), 1e-6) << (which == 0 ? "a" : "b");
      EXPECT_GT(grads[which].abs().max().item<double>(), 1e-3);  // the gradient is not zero everywhere
    }
  }
}

TEST(BoxLoss, DegenerateBoxesGiveFiniteValuesAndGradients) {
  struct Case {
    const char* name;
    double a[4], b[4];
  };
  const Case cases[] = {
      {"two points on one spot", {1, 1, 1, 1}, {1, 1, 1, 1}},
      {"a point against a box", {2, 2, 2, 2}, {0, 0, 4, 3}},
      {"a flat box against a box", {0, 1, 4, 1}, {0, 0, 4, 3}},
      {"a thin box against a point", {3, 0, 3, 5}, {3, 2, 3, 2}},
      {"an inverted box (x2 < x1)", {4, 0, 1, 3}, {0, 0, 4, 3}},
  };
  for (const auto& c : cases) {
    for (const auto dtype : {torch::kFloat, torch::kDouble}) {
      for (const auto kind : kKinds) {
        SCOPED_TRACE(std::string(c.name) + " " + iou_kind_name(kind) + (dtype == torch::kFloat ? " float" : " double"));
        const auto a = box(c.a[0], c.a[1], c.a[2], c.a[3]).to(dtype).requires_grad_(true);
        const auto b = box(c.b[0], c.b[1], c.b[2], c.b[3]).to(dtype).requires_grad_(true);
        const auto value = box_iou(a, b, kind);
        ASSERT_TRUE(std::isfinite(value.item<double>()));
        // An empty box overlaps nothing, and no measure goes outside [-1, 1].
        EXPECT_NEAR(box_iou(a, b, IouKind::iou).item<double>(), 0, 1e-12);
        EXPECT_LE(std::abs(value.item<double>()), 1 + 1e-6);
        const auto grads = torch::autograd::grad({value}, {a, b});
        EXPECT_TRUE(torch::isfinite(grads[0]).all().item<bool>()) << grads[0];
        EXPECT_TRUE(torch::isfinite(grads[1]).all().item<bool>()) << grads[1];
      }
    }
  }
}

TEST(BoxLoss, KindsByNameAndBadShapes) {
  for (const auto kind : kKinds) EXPECT_EQ(iou_kind_from_name(iou_kind_name(kind)), kind);
  EXPECT_NE(test::error_of([] { iou_kind_from_name("mse"); }).find("expected iou, giou, diou or ciou, got 'mse'"),
            std::string::npos);
  const auto message = test::error_of([] { box_iou(torch::zeros({3, 5}), torch::zeros({3, 4})); });
  EXPECT_NE(message.find("expected boxes [..., 4]"), std::string::npos) << message;
  EXPECT_NE(message.find("3x5"), std::string::npos) << message;
}

}  // namespace
}  // namespace box_loss_test
}  // namespace tint::detect
