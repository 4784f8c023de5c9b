// Anchors by k-means with the 1 - IoU distance (detect/anchors.h).
#include "tint/detect/anchors.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::detect {

namespace {

// A double in [0, 1) from the generator's bits alone: the same on every standard library.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

size_t nearest_anchor(const BoxSize& box, const std::vector<BoxSize>& centres) {
  size_t best = 0;
  double best_iou = -1;
  for (size_t c = 0; c < centres.size(); ++c) {
    const double v = corner_iou(box, centres[c]);
    if (v > best_iou) best_iou = v, best = c;
  }
  return best;
}

std::vector<BoxSize> kmeanspp_seeds(const std::vector<BoxSize>& boxes, int k, std::mt19937_64& rng) {
  const size_t n = boxes.size();
  std::vector<BoxSize> centres{boxes[std::min(n - 1, static_cast<size_t>(uniform01(rng) * n))]};
  std::vector<double> d2(n);
  while (static_cast<int>(centres.size()) < k) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      const double d = 1 - corner_iou(boxes[i], centres[nearest_anchor(boxes[i], centres)]);
      d2[i] = d * d;
      total += d2[i];
    }
    size_t pick = n - 1;
    if (total > 0) {
      double r = uniform01(rng) * total;
      for (size_t i = 0; i < n; ++i) {
        if (d2[i] > 0 && r < d2[i]) {
          pick = i;
          break;
        }
        r -= d2[i];
      }
      while (d2[pick] == 0) --pick;  // rounding left r past the last box: the last one with weight
    } else {
      pick = std::min(n - 1, static_cast<size_t>(uniform01(rng) * n));  // every box is some centre already
    }
    centres.push_back(boxes[pick]);
  }
  return centres;
}

}  // namespace

double corner_iou(const BoxSize& a, const BoxSize& b) {
  const double inter = std::min(a.w, b.w) * std::min(a.h, b.h);
  const double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double average_best_iou(const std::vector<BoxSize>& boxes, const std::vector<BoxSize>& anchors) {
  if (boxes.empty() || anchors.empty()) return 0;
  double sum = 0;
  for (const auto& b : boxes) sum += corner_iou(b, anchors[nearest_anchor(b, anchors)]);
  return sum / static_cast<double>(boxes.size());
}

std::vector<BoxSize> box_sizes(const data::DetectionDataset& dataset, int net_width, int net_height) {
  std::vector<BoxSize> sizes;
  for (const auto& image : dataset.images) {
    for (const auto& o : image.objects) {
      const double w = double(o.box.width()) / image.width * net_width;
      const double h = double(o.box.height()) / image.height * net_height;
      if (w > 0 && h > 0) sizes.push_back({w, h});
    }
  }
  return sizes;
}

AnchorFit fit_anchors(const std::vector<BoxSize>& boxes, const AnchorOptions& options) {
  const int k = options.num;
  if (k < 1) throw Error(fmt::format("--num {}: expected at least 1 anchor", k));
  if (boxes.size() < static_cast<size_t>(k)) {
    throw Error(fmt::format("{} anchors need at least {} boxes; the data has {}", k, k, boxes.size()));
  }
  std::mt19937_64 rng(options.seed);
  auto centres = kmeanspp_seeds(boxes, k, rng);
  const size_t n = boxes.size();
  std::vector<size_t> member(n, static_cast<size_t>(-1));
  AnchorFit fit;
  while (fit.iterations < options.max_iterations) {
    ++fit.iterations;
    bool changed = false;
    for (size_t i = 0; i < n; ++i) {
      const size_t c = nearest_anchor(boxes[i], centres);
      changed |= c != member[i];
      member[i] = c;
    }
    if (!changed) {
      fit.converged = true;
      break;
    }
    std::vector<BoxSize> sum(k);
    std::vector<size_t> count(k, 0);
    for (size_t i = 0; i < n; ++i) {
      sum[member[i]].w += boxes[i].w;
      sum[member[i]].h += boxes[i].h;
      ++count[member[i]];
    }
    for (int c = 0; c < k; ++c) {
      if (count[c] > 0) {
        centres[c] = {sum[c].w / count[c], sum[c].h / count[c]};
        continue;
      }
      // An empty cluster takes the box worst served by its own centre (the first such box).
      size_t far = 0;
      double far_d = -1;
      for (size_t i = 0; i < n; ++i) {
        if (member[i] == static_cast<size_t>(-1)) continue;  // taken by another empty cluster
        const double d = 1 - corner_iou(boxes[i], centres[member[i]]);
        if (d > far_d) far_d = d, far = i;
      }
      if (far_d <= 0) continue;  // every box sits on its centre: fewer distinct sizes than anchors
      centres[c] = boxes[far];
      member[far] = static_cast<size_t>(-1);  // it moves: another iteration runs
    }
  }
  for (auto& a : centres) a = {std::max(1.0, std::round(a.w)), std::max(1.0, std::round(a.h))};
  std::sort(centres.begin(), centres.end(), [](const BoxSize& a, const BoxSize& b) {
    const double area_a = a.w * a.h, area_b = b.w * b.h;
    return area_a != area_b ? area_a < area_b : a.w < b.w;
  });
  fit.anchors = centres;
  fit.avg_iou = average_best_iou(boxes, fit.anchors);
  return fit;
}

std::string format_anchors(const std::vector<BoxSize>& anchors) {
  std::string text;
  for (const auto& a : anchors) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{},{}", a.w, a.h);
  }
  return text;
}

std::vector<std::vector<int>> set_anchors(DarknetCfg& cfg, const std::vector<BoxSize>& anchors) {
  std::vector<CfgSection*> heads;
  for (size_t i = 1; i < cfg.sections.size(); ++i) {
    if (cfg.sections[i].type == "yolo") heads.push_back(&cfg.sections[i]);
  }
  if (heads.empty()) throw Error(fmt::format("{}: no [yolo] section to set anchors in", cfg.file_name));
  const int n = static_cast<int>(anchors.size()), h = static_cast<int>(heads.size());
  if (n < h) {
    throw Error(fmt::format("{}: {} [yolo] heads need at least {} anchors, got {}", cfg.file_name, h, h, n));
  }
  std::vector<std::vector<int>> masks;
  int end = n;
  for (int i = 0; i < h; ++i) {
    const int count = n / h + (i < n % h ? 1 : 0);
    std::vector<int> mask;
    for (int a = end - count; a < end; ++a) mask.push_back(a);
    end -= count;
    CfgSection& head = *heads[i];
    const bool resized = !head.has("mask") || head.get_ints("mask").size() != mask.size();
    std::string mask_text;
    for (const int a : mask) mask_text += (mask_text.empty() ? "" : ",") + std::to_string(a);
    head.set("mask", mask_text);
    head.set("anchors", format_anchors(anchors));
    head.set("num", std::to_string(n));
    if (resized && head.index > 0) {
      CfgSection& conv = cfg.layer(head.index - 1);
      if (conv.type == "convolutional") {
        const int classes = head.get_int("classes", 20);
        conv.set("filters", std::to_string((classes + 5) * static_cast<int>(mask.size())));
      }
    }
    masks.push_back(std::move(mask));
  }
  return masks;
}

std::vector<BoxSize> cfg_anchors(const DarknetCfg& cfg) {
  for (size_t i = 1; i < cfg.sections.size(); ++i) {
    const auto& s = cfg.sections[i];
    if (s.type != "yolo") continue;
    const auto values = s.get_floats("anchors");
    if (values.empty() || values.size() % 2 != 0) s.fail("anchors", "expected (w, h) pairs");
    std::vector<BoxSize> anchors;
    for (size_t a = 0; a + 1 < values.size(); a += 2) anchors.push_back({values[a], values[a + 1]});
    return anchors;
  }
  throw Error(fmt::format("{}: no [yolo] section", cfg.file_name));
}

}  // namespace tint::detect
