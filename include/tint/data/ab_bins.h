// Colourization as classification over quantized chroma (Zhang, Isola and Efros 2016, "Colorful Image
// Colorization", sections 2.1-2.2 and the supplementary; richzhang/colorization caffe_traininglayers.py): the ab plane
// of CIELAB on a square grid, keeping the bins that occur in a training set (313 on ImageNet), their empirical prior,
// soft targets, class-rebalancing weights and the decodings of a predicted distribution back to ab.
//
// Grid convention: a bin centre is (grid i, grid j) for integers i, j; an ab value falls in the bin
// (round(a / grid), round(b / grid)) with round = torch::round (halves to even), i.e. cells [c - grid/2, c + grid/2]
// around multiples of the grid. Bins are ordered by (a, b) ascending, so a fit does not depend on pixel order.
//
// Typical use (the trainer's --target ab-bins):
//   lab = rgb_to_lab(images)                                 (N, 3, H, W), lab.h
//   bins = AbBins::fit(train_lab)                            Q bins, prior p, smoothed prior p~
//   ids = bins.encode(ab)  or  soft = bins.soft_encode(ab)   hard (N, H, W) / soft targets (N, 5, H, W) per batch
//   w = bins.pixel_weights(ids, lambda)                      (N, H, W) rebalancing weights of the pixels
//   loss = (w * soft_cross_entropy(logits, soft)).mean()     train/loss.h (or pixel_cross_entropy on ids)
//   ab = bins.decode(logits, {AbDecode::Annealed, 0.38})     (N, 2, H, W); recombine(lab[:, :1], ab) -> RGB (lab.h)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

namespace tint::data {

struct AbBinsOptions {
  double grid = 10.0;        // bin spacing in ab units (Zhang: 10)
  double prior_sigma = 5.0;  // std of the Gaussian that smooths the prior, in ab units (Zhang: 5); 0 = no smoothing
};

// Soft targets in sparse form: each pixel's `neighbours` nearest bins (nearest first, so ids[:, 0] is the hard
// target encode() gives) and Gaussian weights exp(-d^2 / (2 sigma^2)) normalised to sum 1 over them. The dense
// (N, Q, H, W) form of a whole CIFAR-10 training set would be 50,000 * Q * 1024 * 4 bytes (~50 GB for Q = 250);
// this form is 12 bytes per neighbour and pixel and is meant to be built per batch. The loss against them is
// train/loss.h's soft_cross_entropy.
struct SoftTargets {
  torch::Tensor ids;      // (N, K, H, W) int64 bin ids
  torch::Tensor weights;  // (N, K, H, W) float32, sum over K = 1

  // (N, Q, H, W) float32: zero outside each pixel's K bins. For tests and small batches.
  torch::Tensor to_dense(int64_t num_bins) const;
};

// How a predicted distribution over the bins becomes one ab per pixel (Zhang section 2.3).
enum class AbDecode {
  Mode,      // the centre of the most probable bin: vivid but spatially noisy
  Mean,      // the expected ab under softmax(logits): smooth but desaturated
  Annealed,  // the expected ab under softmax(log softmax(logits) / T) = softmax(logits / T): T = 1 is Mean, T -> 0 Mode
};
struct AbDecoding {
  AbDecode mode = AbDecode::Annealed;
  double temperature = 0.38;  // Zhang's; only for Annealed, > 0
};
const char* to_string(AbDecode mode);                     // "mode", "mean", "annealed"
AbDecode ab_decode_from_string(const std::string& name);  // throws tint::Error listing the choices

class AbBins {
 public:
  AbBins() = default;
  // centres (Q, 2) on the grid (multiples of options.grid, distinct), prior (Q) > 0 summing to 1; `pixels` is how many
  // pixels the prior was counted from (0 = unknown; informational). Throws tint::Error when they are not.
  AbBins(torch::Tensor centres, torch::Tensor prior, AbBinsOptions options = {}, int64_t pixels = 0);

  // The bins that occur in `lab` ((N, 3, H, W) Lab, e.g. rgb_to_lab of the training images; only a and b are used)
  // with their empirical prior. Works through the images in blocks, so a whole training set is fine. Throws
  // tint::Error on non-finite ab or fewer than 2 distinct bins.
  static AbBins fit(const torch::Tensor& lab, const AbBinsOptions& options = {});

  int64_t size() const { return centres_.defined() ? centres_.size(0) : 0; }  // Q
  const torch::Tensor& centres() const { return centres_; }                   // (Q, 2) float32 ab
  // Empirical probability of each bin: pixel counts / total (Zhang's p).
  const torch::Tensor& prior() const { return prior_; }  // (Q) float64
  // The prior smoothed over the kept bins (Zhang's p~): p~_q = sum_r p_r G(c_q - c_r) / Z with the 2-D Gaussian
  // G(d) = exp(-|d|^2 / (2 sigma^2)) over the kept bins' centres and Z making it sum to 1, i.e. the histogram
  // convolved with G_sigma, restricted to the kept bins and renormalised. sigma = 0 gives p itself.
  const torch::Tensor& smoothed_prior() const { return smoothed_prior_; }  // (Q) float64
  const AbBinsOptions& options() const { return options_; }
  int64_t pixels() const { return pixels_; }

  // Class-rebalancing weights, one per bin: w_q proportional to (lambda p~_q + (1 - lambda) / Q)^-1, normalised so
  // that sum_q p~_q w_q = 1 (expectation 1 under the smoothed prior, as PriorFactor in Zhang's code).
  // lambda in [0, 1] is the strength of the rebalancing: 0 = all ones (no rebalancing, the source), 1 = 1 / (Q p~_q)
  // (the inverse prior), 0.5 = Zhang's setting. Zhang writes the mix with the uniform prior the other way round,
  // ((1 - l) p~ + l / Q)^-1 with l = 0.5; this lambda is 1 - l, so 0 means off. (Q) float32.
  torch::Tensor rebalancing_weights(double lambda) const;
  // Each pixel's weight: rebalancing_weights(lambda)[ids]. ids (N, H, W) int64 (the hard targets: Zhang weights a
  // pixel by its nearest bin, the argmax of its soft target) -> (N, H, W) float32.
  torch::Tensor pixel_weights(const torch::Tensor& ids, double lambda) const;

  // ab (N, 2, H, W) float -> (N, H, W) int64: the nearest kept bin centre (Euclidean in ab; an ab whose own grid cell
  // was not kept maps to the nearest kept one). Throws tint::Error on non-finite ab.
  torch::Tensor encode(const torch::Tensor& ab) const;
  // Soft targets (Zhang: 5 neighbours, sigma 5 in ab units). neighbours in 1..Q, sigma > 0.
  SoftTargets soft_encode(const torch::Tensor& ab, int neighbours = 5, double sigma = 5.0) const;
  // ids (N, H, W) -> (N, 2, H, W) float32: the bins' centres.
  torch::Tensor centres_of(const torch::Tensor& ids) const;

  // logits (N, Q, H, W) -> ab (N, 2, H, W) float32.
  torch::Tensor decode(const torch::Tensor& logits, const AbDecoding& decoding = {}) const;

  // {"format": "tint-ab-bins", "version": 1, "grid", "prior_sigma", "pixels", "centres": [[a, b], ...], "prior"}.
  // The smoothed prior is recomputed on reading (the same float64 arithmetic, so the same values).
  nlohmann::json to_json() const;
  // `source` names where the JSON came from, for error messages.
  static AbBins from_json(const nlohmann::json& json, const std::string& source);
  void save(const std::filesystem::path& path) const;  // atomically
  static AbBins load(const std::filesystem::path& path);

 private:
  torch::Tensor centres_;         // (Q, 2) float32, multiples of the grid
  torch::Tensor prior_;           // (Q) float64
  torch::Tensor smoothed_prior_;  // (Q) float64
  AbBinsOptions options_;
  int64_t pixels_ = 0;

  // Each pixel's k nearest bins, nearest first: ids (P, k) int64 and squared distances (P, k) float64.
  std::pair<torch::Tensor, torch::Tensor> nearest(const torch::Tensor& ab, int64_t k, const char* what) const;
};

}  // namespace tint::data
