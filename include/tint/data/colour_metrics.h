// Colourization quality metrics beyond the source's pixel accuracy, for `tint evaluate`:
//   - Zhang, Isola and Efros 2016 (section 3.1): the AuC of the cumulative per-pixel ab error, raw and
//     class-rebalanced;
//   - PSNR in RGB;
//   - colourfulness (Hasler and Suesstrunk 2003), of predictions and of the ground truth.
// Evaluation runs batch by batch and may run across processes, so each metric is a meter: add() batches, result()
// at the end; its state is a vector of plain sums and counts (state()), which meters on other processes can sum
// element-wise (e.g. one allreduce) and from_state() turns back into a meter. All sums are float64.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <torch/types.h>

namespace tint::data {

// ---- AuC of the ab error ---------------------------------------------------------------------------------------

struct AbAucResult {
  // curve[t] for t = 0..150: the fraction of pixels whose ab error |pred_ab - true_ab| (Euclidean, in ab units)
  // is <= t. The AuC is the curve's mean over the 151 thresholds, in [0, 1] (Zhang's "area under the curve").
  std::vector<double> curve;
  double auc = 0;
  // The same with each pixel weighted (weighted fractions, sum of weights of the pixels within t / sum of all
  // weights). Present when every batch was added with pixel weights.
  std::vector<double> rebalanced_curve;
  std::optional<double> rebalanced_auc;
};

// Zhang's class-rebalanced AuC weights each pixel by the inverse probability of its ground-truth colour bin. With
// the bins of the training set (ab_bins.h) that is
//   weights = bins.pixel_weights(bins.encode(true_ab), /*lambda=*/1.0)
// i.e. 1 / (Q p~_q) for the pixel's nearest kept bin q under the smoothed training prior p~ (a scale that cancels
// in the weighted fractions).
class AbAucMeter {
 public:
  static constexpr int kMaxThreshold = 150;
  static constexpr int kThresholds = kMaxThreshold + 1;  // t = 0, 1, ..., 150
  static constexpr size_t kStateSize = 2 * kThresholds + 3;

  // pred_ab, true_ab (N, 2, H, W) float; pixel_weights (N, H, W) float >= 0, or undefined for none.
  void add(const torch::Tensor& pred_ab, const torch::Tensor& true_ab, const torch::Tensor& pixel_weights = {});
  AbAucMeter& operator+=(const AbAucMeter& other);
  // Throws tint::Error when no pixel was added, or when only some batches came with pixel weights.
  AbAucResult result() const;

  // [hits(t) for t = 0..150, pixels, weighted_hits(t) for t = 0..150, weight, weighted_pixels]: hits(t) counts the
  // pixels with error <= t, weighted_hits(t) sums their weights, weight sums all weights, weighted_pixels counts the
  // pixels that came with a weight.
  std::vector<double> state() const;
  static AbAucMeter from_state(const std::vector<double>& state);  // throws tint::Error on a wrong size

 private:
  std::vector<double> hits_ = std::vector<double>(kThresholds, 0.0);
  double pixels_ = 0;
  std::vector<double> weighted_hits_ = std::vector<double>(kThresholds, 0.0);
  double weight_ = 0;
  double weighted_pixels_ = 0;
};

// ---- PSNR --------------------------------------------------------------------------------------------------------

// Per image: 10 log10(1 / MSE) over its 3 x H x W values, RGB in [0, 1]. An MSE below 1e-10 counts as 1e-10 (at most
// 100 dB), so that one exact image does not make the mean infinite. pred, truth (N, 3, H, W), float in [0, 1] or
// uint8 (divided by 255) -> (N) float64.
torch::Tensor psnr_per_image(const torch::Tensor& pred, const torch::Tensor& truth);

struct PsnrResult {
  double mean_db = 0;    // the mean over images of the per-image PSNR: what Zhang and most colourization papers report
  double pooled_db = 0;  // 10 log10(1 / MSE) with the MSE over every value of every image
  int64_t images = 0;
};

class PsnrMeter {
 public:
  static constexpr size_t kStateSize = 4;
  void add(const torch::Tensor& pred, const torch::Tensor& truth);  // as psnr_per_image
  PsnrMeter& operator+=(const PsnrMeter& other);
  PsnrResult result() const;  // throws tint::Error when no image was added

  // [sum of per-image PSNR (dB), images, sum of squared errors, values].
  std::vector<double> state() const;
  static PsnrMeter from_state(const std::vector<double>& state);

 private:
  double sum_db_ = 0, images_ = 0, squared_error_ = 0, values_ = 0;
};

// ---- Colourfulness -------------------------------------------------------------------------------------------------

// Hasler and Suesstrunk 2003, per image, on RGB in [0, 255]: rg = R - G, yb = (R + G) / 2 - B (this sign: yellow is
// positive, blue negative; the metric squares it, so only the convention's scale matters), with the means and the
// population standard deviations (divided by the pixel count) over the image,
//   M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2).
// A grey image has M = 0. rgb (N, 3, H, W): uint8 as is, float in [0, 1] scaled by 255 -> (N) float64.
torch::Tensor colourfulness_per_image(const torch::Tensor& rgb);

class ColourfulnessMeter {
 public:
  static constexpr size_t kStateSize = 2;
  void add(const torch::Tensor& rgb);  // as colourfulness_per_image
  ColourfulnessMeter& operator+=(const ColourfulnessMeter& other);
  double result() const;  // the mean over images; throws tint::Error when no image was added
  int64_t images() const { return int64_t(images_); }

  // [sum of per-image M, images].
  std::vector<double> state() const;
  static ColourfulnessMeter from_state(const std::vector<double>& state);

 private:
  double sum_ = 0, images_ = 0;
};

}  // namespace tint::data
