#include "tint/detect/postprocess.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::detect {

std::vector<data::Detection> candidates(const std::vector<DecodedHead>& heads, int64_t image, float conf) {
  std::vector<data::Detection> out;
  for (const auto& head : heads) {
    // Scores for every (box, class) at once; only the few above `conf` are visited one by one.
    const auto scores = head.objectness[image].unsqueeze(1) * head.class_probs[image];
    const auto hits = (scores >= conf).nonzero();
    if (hits.size(0) == 0) continue;
    const auto boxes = head.boxes[image].contiguous();
    const auto box = boxes.accessor<float, 2>();
    const auto score = scores.accessor<float, 2>();
    const auto hit = hits.accessor<int64_t, 2>();
    for (int64_t k = 0; k < hits.size(0); ++k) {
      const int64_t i = hit[k][0], c = hit[k][1];
      out.push_back({{box[i][0], box[i][1], box[i][2], box[i][3]}, static_cast<int>(c), score[i][c]});
    }
  }
  return out;
}

std::vector<data::Detection> nms(std::vector<data::Detection> detections, float iou) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const data::Detection& a, const data::Detection& b) { return a.score > b.score; });
  // Each class suppresses only within itself: compare against the kept boxes of the same class, not all of them
  // (an evaluation at conf 0.001 has thousands of candidates over 80 classes).
  std::unordered_map<int, std::vector<data::Box>> kept_boxes;
  std::vector<data::Detection> kept;
  for (const auto& d : detections) {
    auto& same_class = kept_boxes[d.class_id];
    const bool suppressed = std::any_of(same_class.begin(), same_class.end(),
                                        [&](const data::Box& k) { return data::iou(k, d.box) > iou; });
    if (suppressed) continue;
    same_class.push_back(d.box);
    kept.push_back(d);
  }
  return kept;
}

std::vector<std::vector<data::Detection>> postprocess(const std::vector<torch::Tensor>& raw_heads,
                                                      const std::vector<YoloHead>& heads, int input_w, int input_h,
                                                      const PostprocessOptions& options) {
  if (raw_heads.size() != heads.size())
    throw Error(fmt::format("postprocess: {} head outputs for {} yolo layers", raw_heads.size(), heads.size()));
  torch::NoGradGuard no_grad;
  std::vector<DecodedHead> decoded;
  for (size_t i = 0; i < heads.size(); ++i) decoded.push_back(decode(raw_heads[i], heads[i], input_w, input_h));
  const int64_t batch = raw_heads.empty() ? 0 : raw_heads[0].size(0);
  std::vector<std::vector<data::Detection>> out(batch);
  for (int64_t n = 0; n < batch; ++n) {
    out[n] = nms(candidates(decoded, n, options.conf), options.iou);
    if (static_cast<int>(out[n].size()) > options.max_detections) out[n].resize(options.max_detections);
  }
  return out;
}

}  // namespace tint::detect
