// Steady colours in a video: the network's colours carried from frame to frame where the picture stands still.
//
// Colourized frame by frame, a video flickers: the grain and compression noise of each frame nudge the network's
// prediction, and a wall turns from brown to green and back (DeOldify's issues #343 and #476). The smoother keeps an
// exponential average of the prediction (Prediction::colour, at the working size) and blends each new one into it:
//
//   carried = w * carried + (1 - w) * predicted,   w = strength * exp(-(d / still)^2)   per pixel,
//
// where d = |grey now - grey of the frame before| at the working size (the network's grey input, on [0, 1]). Where the
// picture is still, w is near `strength` and the colour settles; where something moves, d is large, w falls to 0 and
// the new prediction is taken as it is, so a moving object does not drag its old colour along (no motion compensation:
// moving pixels are simply not smoothed). A scene cut (the mean of d over the frame above `cut`) starts afresh.
// At the working size (32 to 128 pixels) grain is already averaged away, which is why d is measured there.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "tint/colourize/colourizer.h"
#include "tint/core/settings.h"

namespace tint::colourize {

struct TemporalOptions {
  // The weight of the carried colour on a still pixel: 0 turns smoothing off; 0.8 averages about the last 5 frames
  // (1 / (1 - w)) of a still scene.
  double strength = 0.8;
  // The grey change (on [0, 1], at the working size) at which a pixel's weight has fallen to 1/e of `strength`.
  double still = 0.03;
  // A scene cut: the mean grey change over the frame above this. 0.12 is well above what a pan or a walking person
  // changes at the working size and well below what a cut to another shot does (docs/video.md).
  double cut = 0.12;
};

// --temporal, --still, --scene-cut.
const SettingsTable<TemporalOptions>& temporal_settings();

class TemporalSmoother {
 public:
  explicit TemporalSmoother(TemporalOptions options = {});
  // The prediction of the next frame, its colour blended with what was carried (the first frame, a frame after a cut
  // or of another size: as predicted).
  Prediction smooth(const Prediction& predicted);
  int64_t cuts() const { return cuts_; }  // scene cuts met so far

 private:
  TemporalOptions options_;
  torch::Tensor carried_, last_input_;
  int64_t cuts_ = 0;
};

}  // namespace tint::colourize
