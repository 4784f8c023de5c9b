// From a predicted distribution over the bins back to one ab per pixel (Zhang section 2.3): the mode, the mean or
// the annealed mean, and the names of those decodings.
#include "tint/data/ab_bins.h"

#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {

const char* to_string(AbDecode mode) {
  switch (mode) {
    case AbDecode::Mode:
      return "mode";
    case AbDecode::Mean:
      return "mean";
    case AbDecode::Annealed:
      return "annealed";
  }
  return "?";
}

AbDecode ab_decode_from_string(const std::string& name) {
  for (auto mode : {AbDecode::Mode, AbDecode::Mean, AbDecode::Annealed}) {
    if (name == to_string(mode)) return mode;
  }
  throw Error(fmt::format("unknown ab decoding '{}': expected mode, mean or annealed", name));
}

torch::Tensor AbBins::centres_of(const torch::Tensor& ids) const {
  TORCH_CHECK(ids.dim() == 3, "AbBins::centres_of expects (N, H, W) ids, got ", ids.sizes());
  return centres_.index_select(0, ids.flatten().to(torch::kInt64))
      .view({ids.size(0), ids.size(1), ids.size(2), 2})
      .permute({0, 3, 1, 2})
      .contiguous();
}

torch::Tensor AbBins::decode(const torch::Tensor& logits, const AbDecoding& decoding) const {
  TORCH_CHECK(logits.dim() == 4 && logits.size(1) == size(), "AbBins::decode expects logits (N, ", size(),
              ", H, W), got ", logits.sizes());
  torch::NoGradGuard no_grad;
  if (decoding.mode == AbDecode::Mode) return centres_of(logits.argmax(1));
  double t = 1.0;
  if (decoding.mode == AbDecode::Annealed) {
    t = decoding.temperature;
    if (!(t > 0.0 && std::isfinite(t))) throw Error(fmt::format("decoding temperature {} must be > 0", t));
  }
  // softmax(log(softmax(z)) / T) = softmax(z / T - const) = softmax(z / T): the annealed mean needs no log.
  // Each pixel's Q logits as one row (a view of channels-last logits), so that the softmax runs along rows and the
  // expectation is one matrix product: the (N, Q, H, W) softmax and einsum took 2.6 ms an image with 244 bins.
  const int64_t n = logits.size(0), h = logits.size(2), w = logits.size(3);
  auto rows = logits.permute({0, 2, 3, 1}).reshape({-1, size()}).to(torch::kFloat32);
  auto ab = torch::mm(torch::softmax(rows / t, 1), centres_);  // (N H W, 2)
  return ab.view({n, h, w, 2}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace tint::data
