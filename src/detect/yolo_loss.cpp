#include "tint/detect/yolo_loss.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "tint/core/error.h"

namespace tint::detect {
namespace {

void check_loss_head(const YoloHead& head, size_t index) {
  const auto where = [&] { return fmt::format("yolo loss: head {}", index); };
  if (head.anchors.empty() || head.mask.size() != head.anchors.size())
    throw Error(fmt::format("{}: expected one mask index per anchor, got {} anchors and {} mask indices", where(),
                            head.anchors.size(), head.mask.size()));
  if (head.all_anchors.empty())
    throw Error(fmt::format("{}: all_anchors is empty (the best anchor is chosen among all of them)", where()));
  for (const int m : head.mask)
    if (m < 0 || m >= static_cast<int>(head.all_anchors.size()))
      throw Error(fmt::format("{}: mask index {} outside the {} anchors", where(), m, head.all_anchors.size()));
  // The best anchor is chosen by index in all_anchors, the box decoded from `anchors`: they must agree.
  for (size_t k = 0; k < head.mask.size(); ++k)
    if (head.mask[k] >= 0 && head.mask[k] < static_cast<int>(head.all_anchors.size()) &&
        head.anchors[k] != head.all_anchors[head.mask[k]])
      throw Error(fmt::format("{}: anchor {} is {}x{} but all_anchors[{}] (its mask index) is {}x{}", where(), k,
                              head.anchors[k][0], head.anchors[k][1], head.mask[k], head.all_anchors[head.mask[k]][0],
                              head.all_anchors[head.mask[k]][1]));
  for (const auto& a : head.all_anchors)
    if (!(a[0] > 0 && a[1] > 0))
      throw Error(fmt::format("{}: anchor {}x{}: expected a positive width and height", where(), a[0], a[1]));
  if (head.num_classes < 1)
    throw Error(fmt::format("{}: expected at least one class, got {}", where(), head.num_classes));
  if (head.truth_thresh < 1.0f)
    throw Error(
        fmt::format("{}: truth_thresh={} is not supported (expected 1: darknet's default, which turns the "
                    "rule off)",
                    where(), head.truth_thresh));
}

void check_loss_truth(const data::LabelledBox& t, size_t image, size_t index, int input_w, int input_h) {
  const auto& b = t.box;
  const auto where = [&] { return fmt::format("yolo loss: image {}, truth {}", image, index); };
  if (!(std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2)))
    throw Error(fmt::format("{}: box ({}, {}, {}, {}) is not finite", where(), b.x1, b.y1, b.x2, b.y2));
  if (!(b.x2 > b.x1 && b.y2 > b.y1))
    throw Error(fmt::format("{}: box ({}, {}, {}, {}) is empty (expected x2 > x1 and y2 > y1)", where(), b.x1, b.y1,
                            b.x2, b.y2));
  const float cx = (b.x1 + b.x2) / 2, cy = (b.y1 + b.y2) / 2;
  if (cx < 0 || cx > input_w || cy < 0 || cy > input_h)
    throw Error(fmt::format("{}: centre ({}, {}) outside the {}x{} input", where(), cx, cy, input_w, input_h));
}

// IoU of two boxes of these sizes sharing a centre: how darknet compares a truth's shape with an anchor's.
float anchor_shape_iou(float w1, float h1, float w2, float h2) {
  const float inter = std::min(w1, w2) * std::min(h1, h2);
  return inter / (w1 * h1 + w2 * h2 - inter);
}

}  // namespace

std::vector<TargetAssignment> assign_targets(const std::vector<YoloHead>& heads, const std::vector<GridSize>& grids,
                                             const std::vector<std::vector<data::LabelledBox>>& targets, int input_w,
                                             int input_h) {
  if (heads.size() != grids.size())
    throw Error(fmt::format("yolo loss: {} heads but {} grid sizes", heads.size(), grids.size()));
  if (input_w < 1 || input_h < 1)
    throw Error(fmt::format("yolo loss: expected a positive input size, got {}x{}", input_w, input_h));
  for (size_t h = 0; h < heads.size(); ++h) {
    check_loss_head(heads[h], h);
    if (grids[h].h < 1 || grids[h].w < 1)
      throw Error(
          fmt::format("yolo loss: head {}: expected a grid of at least 1x1, got {}x{}", h, grids[h].h, grids[h].w));
  }
  std::vector<TargetAssignment> out;
  for (size_t b = 0; b < targets.size(); ++b) {
    for (size_t t = 0; t < targets[b].size(); ++t) {
      const auto& truth = targets[b][t];
      check_loss_truth(truth, b, t, input_w, input_h);
      for (size_t h = 0; h < heads.size(); ++h)
        if (truth.class_id < 0 || truth.class_id >= heads[h].num_classes)
          throw Error(fmt::format("yolo loss: image {}, truth {}: class {} outside head {}'s {} classes", b, t,
                                  truth.class_id, h, heads[h].num_classes));
      if (truth.difficult) continue;
      const float tw = truth.box.width(), th = truth.box.height();
      const double cx = (double(truth.box.x1) + truth.box.x2) / 2, cy = (double(truth.box.y1) + truth.box.y2) / 2;
      for (size_t h = 0; h < heads.size(); ++h) {
        const auto& head = heads[h];
        int best_n = 0;
        float best_iou = 0;
        for (size_t n = 0; n < head.all_anchors.size(); ++n) {
          const float iou = anchor_shape_iou(head.all_anchors[n][0], head.all_anchors[n][1], tw, th);
          if (iou > best_iou) best_iou = iou, best_n = static_cast<int>(n);
        }
        // darknet's (int)(truth.x * l.w); a centre on the far edge belongs to the last cell.
        const int64_t col = std::min<int64_t>(static_cast<int64_t>(cx * grids[h].w / input_w), grids[h].w - 1);
        const int64_t row = std::min<int64_t>(static_cast<int64_t>(cy * grids[h].h / input_h), grids[h].h - 1);
        for (int a = 0; a < head.num_anchors(); ++a) {
          const int n = head.mask[a];
          const bool best = n == best_n;
          const bool extra = !best && head.iou_thresh < 1.0f &&
                             anchor_shape_iou(head.all_anchors[n][0], head.all_anchors[n][1], tw, th) > head.iou_thresh;
          if (best || extra)
            out.push_back({static_cast<int>(b), static_cast<int>(t), static_cast<int>(h), a, row, col, best});
        }
      }
    }
  }
  return out;
}

YoloLoss compute_yolo_loss(const std::vector<torch::Tensor>& raw_heads, const std::vector<YoloHead>& heads,
                           const std::vector<std::vector<data::LabelledBox>>& targets, int input_w, int input_h,
                           const YoloLossOptions& options) {
  if (raw_heads.empty() || raw_heads.size() != heads.size())
    throw Error(fmt::format("yolo loss: {} raw head outputs for {} [yolo] heads (expected one per head, at least one)",
                            raw_heads.size(), heads.size()));
  const int64_t batch = static_cast<int64_t>(targets.size());
  if (!(options.label_smoothing >= 0 && options.label_smoothing <= 1))
    throw Error(fmt::format("yolo loss: label smoothing {} outside [0, 1]", options.label_smoothing));
  std::vector<GridSize> grids;
  std::vector<IouKind> kinds;
  for (size_t h = 0; h < heads.size(); ++h) {
    const auto& raw = raw_heads[h];
    if (raw.dim() != 4 || raw.size(0) != batch || raw.size(1) != heads[h].channels())
      throw Error(
          fmt::format("yolo loss: head {}: expected raw output [{}, {}, H, W] ({} images, {} anchors x "
                      "(5 + {} classes)), got {}",
                      h, batch, heads[h].channels(), batch, heads[h].num_anchors(), heads[h].num_classes,
                      fmt::join(raw.sizes(), "x")));
    grids.push_back({raw.size(2), raw.size(3)});
    const std::string& name = options.iou_loss.empty() ? heads[h].iou_loss : options.iou_loss;
    try {
      kinds.push_back(iou_kind_from_name(name));
    } catch (const Error& e) {
      throw Error(fmt::format("yolo loss: head {}: {} (darknet's mse box loss is not supported)", h, e.what()));
    }
  }
  const auto assignments = assign_targets(heads, grids, targets, input_w, input_h);

  YoloLoss out;
  out.assignments = static_cast<int64_t>(assignments.size());
  {
    std::vector<std::vector<bool>> learnt(targets.size());
    for (size_t b = 0; b < targets.size(); ++b) learnt[b].assign(targets[b].size(), false);
    for (const auto& a : assignments) learnt[a.image][a.truth] = true;
    for (size_t b = 0; b < targets.size(); ++b)
      for (size_t t = 0; t < targets[b].size(); ++t) out.unassigned_truths += !learnt[b][t] && !targets[b][t].difficult;
  }

  // Every image's truths, padded to the largest count: [N, T, 4], and which entries are real: [N, T].
  int64_t max_truths = 0;
  for (const auto& image : targets) max_truths = std::max<int64_t>(max_truths, image.size());
  auto truth_boxes = torch::zeros({batch, max_truths, 4});
  auto truth_valid = torch::zeros({batch, max_truths}, torch::kBool);
  {
    auto boxes = truth_boxes.accessor<float, 3>();
    auto valid = truth_valid.accessor<bool, 2>();
    for (int64_t b = 0; b < batch; ++b)
      for (size_t t = 0; t < targets[b].size(); ++t) {
        const auto& box = targets[b][t].box;
        boxes[b][t][0] = box.x1, boxes[b][t][1] = box.y1, boxes[b][t][2] = box.x2, boxes[b][t][3] = box.y2;
        valid[b][t] = true;
      }
  }

  auto box_loss = torch::zeros({});
  auto obj_loss = torch::zeros({});
  auto cls_loss = torch::zeros({});
  for (size_t h = 0; h < heads.size(); ++h) {
    const auto& head = heads[h];
    const int64_t a = head.num_anchors(), c = head.num_classes, gh = grids[h].h, gw = grids[h].w;
    // [N, A*(5+C), H, W] -> [N, A, H, W, 5+C]: one row of channels per prediction, as decode orders them.
    const auto p = raw_heads[h].to(torch::kFloat).view({batch, a, 5 + c, gh, gw}).permute({0, 1, 3, 4, 2});
    const auto boxes = decode(raw_heads[h], head, input_w, input_h).boxes.view({batch, a, gh, gw, 4});

    std::vector<int64_t> ib, ia, ij, ii, cls;
    std::vector<float> tb;
    for (const auto& as : assignments) {
      if (as.head != static_cast<int>(h)) continue;
      ib.push_back(as.image), ia.push_back(as.anchor), ij.push_back(as.row), ii.push_back(as.col);
      const auto& truth = targets[as.image][as.truth];
      cls.push_back(truth.class_id);
      tb.insert(tb.end(), {truth.box.x1, truth.box.y1, truth.box.x2, truth.box.y2});
    }
    const int64_t k = static_cast<int64_t>(ib.size());
    const auto index = [](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); };
    const std::vector<torch::indexing::TensorIndex> at = {index(ib), index(ia), index(ij), index(ii)};
    const auto assigned = p.index(at);                    // [K, 5+C]
    const auto assigned_boxes = boxes.index(at);          // [K, 4]
    const auto truth_k = torch::tensor(tb).view({k, 4});  // [K, 4]

    const auto measure = box_iou(assigned_boxes, truth_k, kinds[h]);  // [K]
    box_loss = box_loss + head.iou_normalizer * (1 - measure).sum();

    const float eps = options.label_smoothing;
    auto cls_target = torch::full({k, c}, eps / 2);
    if (k > 0) cls_target.scatter_(1, index(cls).view({k, 1}), 1 - eps / 2);
    cls_loss = cls_loss + head.cls_normalizer * torch::binary_cross_entropy_with_logits(
                                                    assigned.narrow(1, 5, c), cls_target, {}, {}, at::Reduction::Sum);

    // Objectness: weight 0 drops a prediction from the sum (ignored), the target is 1 (or the IoU) where assigned.
    auto obj_target = torch::zeros({batch, a, gh, gw});
    auto obj_weight = torch::ones({batch, a, gh, gw});
    if (max_truths > 0) {
      torch::NoGradGuard no_grad;
      const auto flat = boxes.detach().reshape({batch, a * gh * gw, 1, 4});
      const auto overlap = box_iou(flat, truth_boxes.unsqueeze(1))  // [N, A*H*W, T]
                               .masked_fill(truth_valid.logical_not().unsqueeze(1), 0);
      const auto ignore = std::get<0>(overlap.max(2)).gt(head.ignore_thresh).view({batch, a, gh, gw});
      obj_weight.masked_fill_(ignore, 0);
    }
    {
      const auto quality = measure.detach().clamp_min(0);
      auto target = obj_target.accessor<float, 4>();
      auto weight = obj_weight.accessor<float, 4>();
      auto q = quality.accessor<float, 1>();
      for (int64_t i = 0; i < k; ++i) {
        weight[ib[i]][ia[i]][ij[i]][ii[i]] = 1;
        float& t = target[ib[i]][ia[i]][ij[i]][ii[i]];
        t = options.objectness_iou_target ? std::max(t, q[i]) : 1.0f;
      }
    }
    out.ignored += static_cast<int64_t>(obj_weight.numel() - obj_weight.sum().item<double>());
    obj_loss = obj_loss + head.obj_normalizer * torch::binary_cross_entropy_with_logits(
                                                    p.select(4, 4), obj_target, obj_weight, {}, at::Reduction::Sum);
  }
  // The mean over images (darknet's learning_rate / batch); an empty batch has nothing to average.
  const double per_image = 1.0 / std::max<int64_t>(batch, 1);
  out.box = box_loss * per_image;
  out.objectness = obj_loss * per_image;
  out.classification = cls_loss * per_image;
  out.total = out.box + out.objectness + out.classification;
  return out;
}

}  // namespace tint::detect
