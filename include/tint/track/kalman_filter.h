// The Kalman filter of SORT (Bewley et al. 2016) in the form DeepSORT and ByteTrack use (yolox/tracker/
// kalman_filter.py): a box as its centre (cx, cy), aspect ratio a = width / height and height h, moving at constant
// velocity. The 8-d state is (cx, cy, a, h, vcx, vcy, va, vh); a detection observes the first four directly.
//
// Noise, as there: standard deviations proportional to the box's height (a box 10 times larger moves and jitters 10
// times more in pixels), 1/20 of the height for positions and 1/160 for velocities; the aspect ratio gets small fixed
// deviations (1e-2 as process noise, 1e-1 as measurement noise), being nearly constant for a rigid object.
#pragma once

#include <array>

#include "tint/data/boxes.h"

namespace tint::track {

using Measurement = std::array<double, 4>;  // cx, cy, a, h

// A box as a measurement, and back.
Measurement to_measurement(const data::Box& box);
data::Box to_box(const Measurement& m);

struct KalmanState {
  std::array<double, 8> mean{};
  std::array<double, 64> covariance{};  // 8 x 8, row-major

  double cov(int r, int c) const { return covariance[r * 8 + c]; }
  // The box of the mean (its first four entries).
  data::Box box() const;
};

struct KalmanNoise {
  double std_weight_position = 1.0 / 20;   // x the height: deviation of a position (and of the height)
  double std_weight_velocity = 1.0 / 160;  // x the height: deviation of a velocity
};

class KalmanFilter {
 public:
  explicit KalmanFilter(KalmanNoise noise = {}) : noise_(noise) {}

  // A new track from an unmatched detection: the mean is the measurement with zero velocity; the deviations are
  // twice the positional weight (positions) and ten times the velocity weight (velocities), times the height: the
  // velocity is unknown, so it starts uncertain.
  KalmanState initiate(const Measurement& z) const;

  // One frame ahead: x <- F x, P <- F P F^T + Q, F adding each velocity to its position (dt = 1 frame), Q diagonal
  // from the current height.
  KalmanState predict(const KalmanState& s) const;

  // The measurement the state predicts and its covariance: H x and H P H^T + R, R diagonal from the state's height.
  void project(const KalmanState& s, Measurement& mean, std::array<double, 16>& covariance) const;

  // The correction by a measurement: K = P H^T S^-1 (S from project), x <- x + K (z - H x), P <- P - K S K^T.
  KalmanState update(const KalmanState& s, const Measurement& z) const;

 private:
  KalmanNoise noise_;
};

}  // namespace tint::track
