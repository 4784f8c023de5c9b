#include "tint/colourize/video_evaluation.h"

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/data/colour_metrics.h"
#include "tint/data/lab.h"

namespace tint::colourize {

namespace {

// The mean ab distance between consecutive frames over the still pixels (the mask handed in with each frame).
class FlickerMeter {
 public:
  // ab (2, H, W) of this frame; still (H, W) bool: the pixels whose grey did not change since the frame before
  // (undefined for the first frame).
  void add(const torch::Tensor& ab, const torch::Tensor& still) {
    if (last_.defined() && still.defined()) {
      const auto distance = (ab - last_).square().sum(0).sqrt();  // (H, W)
      sum_ += distance.masked_select(still).sum().item<double>();
    }
    last_ = ab;
  }
  double result(int64_t still_pixels) const { return still_pixels > 0 ? sum_ / double(still_pixels) : 0.0; }

 private:
  torch::Tensor last_;
  double sum_ = 0;
};

// The meters of one output (per frame, smoothed, grey).
struct VideoMeters {
  data::AbAucMeter auc;
  data::PsnrMeter psnr;
  data::ColourfulnessMeter colourfulness;
  FlickerMeter flicker;

  // output, truth (3, H, W) uint8; true_ab (1, 2, H, W); still as FlickerMeter::add.
  void add(const torch::Tensor& output, const torch::Tensor& truth, const torch::Tensor& true_ab,
           const torch::Tensor& still) {
    const auto out = output.unsqueeze(0);
    const auto ab = data::rgb_to_lab(out).slice(1, 1, 3);
    auc.add(ab, true_ab);
    psnr.add(out, truth.unsqueeze(0));
    colourfulness.add(out);
    flicker.add(ab[0], still);
  }
  VideoScores scores(int64_t still_pixels) const {
    return {100.0 * auc.result().auc, psnr.result().mean_db, colourfulness.result(), flicker.result(still_pixels)};
  }
};

nlohmann::json scores_json(const VideoScores& s) {
  return {{"auc", s.auc}, {"psnr_db", s.psnr_db}, {"colourfulness", s.colourfulness}, {"flicker", s.flicker}};
}

}  // namespace

VideoEvaluation evaluate_video(const Colourizer& colourizer, const NextFrame& next,
                               const VideoEvaluationOptions& options) {
  if (options.colourize.raw) throw Error("--raw: videos are scored as `tint colourize` writes them, not raw");
  if (options.colourize.side_by_side) throw Error("--side-by-side: videos are scored one output at a time");
  if (!(options.temporal.strength > 0)) throw Error("--temporal 0 leaves nothing to compare: give a strength > 0");
  torch::InferenceMode guard;
  VideoEvaluation e;
  VideoMeters per_frame, smoothed, grey;
  data::ColourfulnessMeter truth_colourfulness;
  FlickerMeter truth_flicker;
  TemporalSmoother smoother(options.temporal);
  torch::Tensor last_grey;
  while (auto frame = next()) {
    const auto truth = frame->size(0) == 3 ? *frame : frame->expand({3, -1, -1}).contiguous();
    if (e.frames == 0) {
      e.height = truth.size(1);
      e.width = truth.size(2);
    } else if (truth.size(1) != e.height || truth.size(2) != e.width) {
      throw Error(fmt::format("frame {} is {}x{}, the first was {}x{}: a video's frames keep one size", e.frames + 1,
                              truth.size(2), truth.size(1), e.width, e.height));
    }
    const auto grey_frame = data::to_bytes(grey_of(truth));  // (1, H, W) uint8, as `tint colourize` is given it
    torch::Tensor still;
    if (last_grey.defined()) {
      still = (grey_frame.to(torch::kInt16) - last_grey.to(torch::kInt16)).abs()[0] <= options.still_step;
      e.still_pixels += still.sum().item<int64_t>();
    }
    last_grey = grey_frame;
    const auto true_ab = data::rgb_to_lab(truth.unsqueeze(0)).slice(1, 1, 3);
    const auto prediction = colourizer.predict(grey_frame, options.colourize);
    per_frame.add(colourizer.colourize_bytes(grey_frame, prediction, options.colourize), truth, true_ab, still);
    smoothed.add(colourizer.colourize_bytes(grey_frame, smoother.smooth(prediction), options.colourize), truth, true_ab,
                 still);
    grey.add(grey_frame.expand({3, -1, -1}), truth, true_ab, still);
    truth_colourfulness.add(truth.unsqueeze(0));
    truth_flicker.add(true_ab[0], still);
    ++e.frames;
    if (options.progress) options.progress(e.frames);
  }
  if (e.frames < 2) throw Error(fmt::format("{} frame(s): flicker needs a video of at least 2 frames", e.frames));
  e.per_frame = per_frame.scores(e.still_pixels);
  e.smoothed = smoothed.scores(e.still_pixels);
  e.grey = grey.scores(e.still_pixels);
  e.truth_colourfulness = truth_colourfulness.result();
  e.truth_flicker = truth_flicker.result(e.still_pixels);
  e.cuts = smoother.cuts();
  return e;
}

std::string format_video_evaluation(const VideoEvaluation& e) {
  std::string out = fmt::format(
      "{} frames of {}x{}; flicker over {} still pixels ({:.1f} % of the frame pairs'); "
      "{} scene cut(s)\n",
      e.frames, e.width, e.height, e.still_pixels,
      100.0 * double(e.still_pixels) / double((e.frames - 1) * e.width * e.height), e.cuts);
  out += fmt::format("{:<12} {:>7} {:>8} {:>14} {:>8}\n", "output", "AuC %", "PSNR dB", "colourfulness", "flicker");
  auto line = [&](const char* name, const VideoScores& s) {
    out += fmt::format("{:<12} {:>7.2f} {:>8.2f} {:>14.2f} {:>8.3f}\n", name, s.auc, s.psnr_db, s.colourfulness,
                       s.flicker);
  };
  line("per frame", e.per_frame);
  line("smoothed", e.smoothed);
  line("grey", e.grey);
  out +=
      fmt::format("{:<12} {:>7} {:>8} {:>14.2f} {:>8.3f}\n", "truth", "", "", e.truth_colourfulness, e.truth_flicker);
  return out;
}

nlohmann::json video_evaluation_to_json(const VideoEvaluation& e) {
  return {{"frames", e.frames},
          {"width", e.width},
          {"height", e.height},
          {"still_pixels", e.still_pixels},
          {"cuts", e.cuts},
          {"per_frame", scores_json(e.per_frame)},
          {"smoothed", scores_json(e.smoothed)},
          {"grey", scores_json(e.grey)},
          {"truth_colourfulness", e.truth_colourfulness},
          {"truth_flicker", e.truth_flicker}};
}

}  // namespace tint::colourize
