// Scoring a colourizer on a colour video (`tint evaluate --video FILE`): accuracy and flicker, frame by frame and with
// temporal smoothing (temporal.h), from one pass over the frames.
//
// Each frame is made grey as `tint colourize` makes it (the mean of R, G and B, rounded to 8 bits), colourized twice
// from the same prediction (once as predicted, once smoothed, as `tint colourize VIDEO` writes it) and compared with
// the frame's own colours:
//   AuC:           Zhang's area under the cumulative curve of the per-pixel ab error over the thresholds 0..150, in %,
//                  pooled over every pixel of every frame (data/colour_metrics.h, as for photos);
//   PSNR:          per frame in sRGB [0, 1], the mean over frames;
//   colourfulness: Hasler and Suesstrunk's M per frame, the mean over frames;
//   flicker:       the mean ab distance |ab(t) - ab(t-1)| (CIELAB units) between consecutive output frames, over the
//                  pixels whose grey frame did not change: |grey(t) - grey(t-1)| <= `still_step` of 255. A still
//                  pixel whose colour changes is flicker; the truth's own change over the same pixels is its floor.
// The grey frames themselves are scored alongside (flicker 0 by construction), the baseline to beat.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

#include "tint/colourize/colourizer.h"
#include "tint/colourize/temporal.h"

namespace tint::colourize {

struct VideoScores {
  double auc = 0;  // %
  double psnr_db = 0;
  double colourfulness = 0;
  double flicker = 0;  // CIELAB ab units
};

struct VideoEvaluation {
  int64_t frames = 0;
  int64_t width = 0, height = 0;
  int64_t still_pixels = 0;  // the pixels flicker is measured over, all frame pairs together
  int64_t cuts = 0;          // scene cuts the smoother met
  VideoScores per_frame, smoothed, grey;
  double truth_colourfulness = 0;
  double truth_flicker = 0;
};

struct VideoEvaluationOptions {
  ColourizeOptions colourize;             // working size, decoding; raw and side_by_side are refused
  TemporalOptions temporal;               // the smoothed output's; its strength must be above 0
  int still_step = 2;                     // of 255: the grey change up to which a pixel counts as still
  std::function<void(int64_t)> progress;  // frames done
};

// The next colour frame, (3, H, W) uint8 (every frame the same size), or nullopt at the end.
using NextFrame = std::function<std::optional<torch::Tensor>()>;

// Throws tint::Error for options that cannot be scored, a video of fewer than 2 frames, or frames of changing size.
VideoEvaluation evaluate_video(const Colourizer& colourizer, const NextFrame& next,
                               const VideoEvaluationOptions& options);

// The summary table: one line per output (per frame, smoothed, grey) and the truth's.
std::string format_video_evaluation(const VideoEvaluation& evaluation);
// {"frames", "width", "height", "still_pixels", "cuts", "per_frame": {...}, "smoothed": {...}, "grey": {...},
//  "truth_colourfulness", "truth_flicker"}; scores as {"auc", "psnr_db", "colourfulness", "flicker"}.
nlohmann::json video_evaluation_to_json(const VideoEvaluation& evaluation);

}  // namespace tint::colourize
