// evaluate_video against a brute-force scoring of the same frames in double: the grey frames by hand, the still
// pixels and the flicker pixel by pixel, AuC, PSNR and colourfulness from their formulas (colour_scores_by_hand.h).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "colour_scores_by_hand.h"
#include "support/test_support.h"
#include "tint/colourize/pretrained.h"
#include "tint/colourize/video_evaluation.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"

namespace tint::colourize {
namespace {

// Four 64 x 96 frames: a still crop, the same with a patch brightened (a change), the crop moved by 3 pixels (a pan),
// then another photo (a cut).
std::vector<torch::Tensor> frames() {
  const auto dir = test::source_dir() / "tests" / "data" / "photos";
  const auto a = data::read_image(dir / "kodim06.jpg"), b = data::read_image(dir / "kodim12.jpg");
  auto f0 = a.slice(1, 100, 164).slice(2, 200, 296).contiguous();
  auto f1 = f0.clone();
  f1.slice(1, 10, 30).slice(2, 10, 40).copy_(
      (f1.slice(1, 10, 30).slice(2, 10, 40).to(torch::kInt32) + 40).clamp(0, 255).to(torch::kUInt8));
  auto f2 = a.slice(1, 100, 164).slice(2, 203, 299).contiguous();
  auto f3 = b.slice(1, 50, 114).slice(2, 50, 146).contiguous();
  return {f0, f1, f2, f3};
}

// Flicker by hand: over pixels whose grey (rounded mean of R, G, B) moved by at most `step`, the mean ab distance
// between consecutive outputs.
struct FlickerByHand {
  double sum = 0;
  int64_t still = 0;
  torch::Tensor last_lab, last_grey;
  void add(const torch::Tensor& output, const torch::Tensor& grey_frame, int step) {
    const auto lab = data::rgb_to_lab(output.unsqueeze(0))[0].to(torch::kFloat64).contiguous();
    const auto grey = grey_frame.to(torch::kInt32).contiguous();
    if (last_lab.defined()) {
      const int64_t n = grey.numel();
      const double* p = lab.data_ptr<double>();
      const double* q = last_lab.data_ptr<double>();
      const int* g = grey.data_ptr<int>();
      const int* h = last_grey.data_ptr<int>();
      for (int64_t i = 0; i < n; ++i) {
        if (std::abs(g[i] - h[i]) > step) continue;
        sum += std::hypot(p[n + i] - q[n + i], p[2 * n + i] - q[2 * n + i]);
        ++still;
      }
    }
    last_lab = lab;
    last_grey = grey;
  }
};

TEST(VideoEvaluation, EqualsABruteForceScoringOfTheSameFrames) {
  const auto colourizer =
      Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / find_pretrained("cifar10").file);
  const auto video = frames();
  VideoEvaluationOptions options;
  options.temporal.strength = 0.8;
  size_t next = 0;
  int64_t reported = 0;
  options.progress = [&](int64_t done) { reported = done; };
  const auto e = evaluate_video(
      colourizer,
      [&]() -> std::optional<torch::Tensor> {
        if (next == video.size()) return std::nullopt;
        return video[next++];
      },
      options);
  EXPECT_EQ(reported, 4);
  EXPECT_EQ(e.frames, 4);
  EXPECT_EQ(e.width, 96);
  EXPECT_EQ(e.height, 64);
  EXPECT_EQ(e.cuts, 1);  // the other photo

  Curve per_frame, smoothed, grey;
  FlickerByHand per_frame_flicker, smoothed_flicker, truth_flicker;
  double psnr_sum[3] = {0, 0, 0}, colourful_sum[2] = {0, 0}, truth_colourful = 0;
  TemporalSmoother smoother(options.temporal);
  const auto none = torch::ones({1, 64, 96});
  for (const auto& truth : video) {
    const auto grey_frame = grey_by_hand(truth);  // (3, H, W) uint8
    const auto grey_one = grey_frame.narrow(0, 0, 1).contiguous();
    const auto prediction = colourizer.predict(grey_one, options.colourize);
    const auto out = colourizer.colourize_bytes(grey_one, prediction, options.colourize);
    const auto out_smoothed = colourizer.colourize_bytes(grey_one, smoother.smooth(prediction), options.colourize);
    const auto true_lab = data::rgb_to_lab(truth.unsqueeze(0));
    add_pixels(per_frame, out, true_lab, none);
    add_pixels(smoothed, out_smoothed, true_lab, none);
    add_pixels(grey, grey_frame, true_lab, none);
    per_frame_flicker.add(out, grey_one, options.still_step);
    smoothed_flicker.add(out_smoothed, grey_one, options.still_step);
    truth_flicker.add(truth, grey_one, options.still_step);
    psnr_sum[0] += psnr(out, truth);
    psnr_sum[1] += psnr(out_smoothed, truth);
    psnr_sum[2] += psnr(grey_frame, truth);
    colourful_sum[0] += colourfulness(out);
    colourful_sum[1] += colourfulness(out_smoothed);
    truth_colourful += colourfulness(truth);
  }
  EXPECT_EQ(e.still_pixels, per_frame_flicker.still);
  EXPECT_GT(e.still_pixels, 64 * 96);  // frame 1's unchanged pixels at least
  EXPECT_NEAR(e.per_frame.auc, per_frame.auc(), 1e-4);
  EXPECT_NEAR(e.smoothed.auc, smoothed.auc(), 1e-4);
  EXPECT_NEAR(e.grey.auc, grey.auc(), 1e-4);
  EXPECT_NEAR(e.per_frame.psnr_db, psnr_sum[0] / 4, 1e-6);
  EXPECT_NEAR(e.smoothed.psnr_db, psnr_sum[1] / 4, 1e-6);
  EXPECT_NEAR(e.grey.psnr_db, psnr_sum[2] / 4, 1e-6);
  EXPECT_NEAR(e.per_frame.colourfulness, colourful_sum[0] / 4, 1e-6);
  EXPECT_NEAR(e.smoothed.colourfulness, colourful_sum[1] / 4, 1e-6);
  EXPECT_NEAR(e.truth_colourfulness, truth_colourful / 4, 1e-6);
  EXPECT_NEAR(e.per_frame.flicker, per_frame_flicker.sum / double(per_frame_flicker.still), 1e-4);
  EXPECT_NEAR(e.smoothed.flicker, smoothed_flicker.sum / double(smoothed_flicker.still), 1e-4);
  EXPECT_NEAR(e.truth_flicker, truth_flicker.sum / double(truth_flicker.still), 1e-4);
  EXPECT_NEAR(e.grey.flicker, 0.0, 1e-6);  // a grey pixel's ab is 0 up to the Lab conversion's rounding
  // Smoothing carries the colour on the still pixels: less flicker than frame by frame.
  EXPECT_LT(e.smoothed.flicker, e.per_frame.flicker);

  const auto j = video_evaluation_to_json(e);
  EXPECT_EQ(j["frames"].get<int64_t>(), 4);
  EXPECT_DOUBLE_EQ(j["smoothed"]["flicker"].get<double>(), e.smoothed.flicker);
  EXPECT_NE(format_video_evaluation(e).find("smoothed"), std::string::npos);
}

TEST(VideoEvaluation, RefusesWhatCannotBeScored) {
  const auto colourizer =
      Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / find_pretrained("horse").file);
  auto source = [](std::vector<torch::Tensor> v) {
    return [v, i = size_t(0)]() mutable -> std::optional<torch::Tensor> {
      if (i == v.size()) return std::nullopt;
      return v[i++];
    };
  };
  const auto a = torch::randint(0, 256, {3, 16, 16}, torch::kUInt8);
  const auto b = torch::randint(0, 256, {3, 16, 20}, torch::kUInt8);
  VideoEvaluationOptions options;
  EXPECT_NE(test::error_of([&] { evaluate_video(colourizer, source({a}), options); }).find("at least 2 frames"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              evaluate_video(colourizer, source({a, b}), options);
            }).find("frame 2 is 20x16"),
            std::string::npos);
  options.temporal.strength = 0;
  EXPECT_NE(test::error_of([&] {
              evaluate_video(colourizer, source({a, a}), options);
            }).find("--temporal 0"),
            std::string::npos);
}

}  // namespace
}  // namespace tint::colourize
