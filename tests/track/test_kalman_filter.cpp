// One step of the Kalman filter against numbers worked by hand. Every matrix is block diagonal by coordinate (each
// position with its own velocity), so the step is four independent 2-d filters with closed forms.
#include <gtest/gtest.h>

#include "tint/track/kalman_filter.h"

namespace tint::track {
namespace {

TEST(KalmanFilter, BoxAndMeasurementAreInverse) {
  const data::Box box{10, 20, 30, 60};  // width 20, height 40
  const Measurement z = to_measurement(box);
  EXPECT_DOUBLE_EQ(z[0], 20);
  EXPECT_DOUBLE_EQ(z[1], 40);
  EXPECT_DOUBLE_EQ(z[2], 0.5);
  EXPECT_DOUBLE_EQ(z[3], 40);
  const data::Box back = to_box(z);
  EXPECT_FLOAT_EQ(back.x1, 10);
  EXPECT_FLOAT_EQ(back.y1, 20);
  EXPECT_FLOAT_EQ(back.x2, 30);
  EXPECT_FLOAT_EQ(back.y2, 60);
}

// A box at (cx, cy, a, h) = (100, 50, 0.5, 40).
// initiate: position deviations 2 x 40 / 20 = 4 (variance 16), velocity 10 x 40 / 160 = 2.5 (6.25); a: 1e-2 (1e-4)
//   and 1e-5 (1e-10).
// predict (velocity 0, so the mean stays): P_xx = 16 + 6.25 + (40 / 20)^2 = 26.25, P_xv = 6.25,
//   P_vv = 6.25 + (40 / 160)^2 = 6.3125; a: P_aa = 1e-4 + 1e-10 + 1e-4.
// update with cx measured at 102 (the rest as predicted): S = 26.25 + (40 / 20)^2 = 30.25,
//   K = (26.25, 6.25) / 30.25, cx = 100 + 2 x 26.25 / 30.25, vcx = 2 x 6.25 / 30.25,
//   P_xx = 26.25 - 26.25^2 / 30.25, P_xv = 6.25 - 26.25 x 6.25 / 30.25, P_vv = 6.3125 - 6.25^2 / 30.25.
TEST(KalmanFilter, OneStepMatchesTheClosedForm) {
  const KalmanFilter kf;
  const KalmanState init = kf.initiate({100, 50, 0.5, 40});
  EXPECT_DOUBLE_EQ(init.cov(0, 0), 16);
  EXPECT_DOUBLE_EQ(init.cov(3, 3), 16);
  EXPECT_DOUBLE_EQ(init.cov(4, 4), 6.25);
  EXPECT_DOUBLE_EQ(init.cov(2, 2), 1e-4);
  EXPECT_DOUBLE_EQ(init.cov(6, 6), 1e-10);
  EXPECT_DOUBLE_EQ(init.cov(0, 4), 0);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(init.mean[i], 0);

  const KalmanState pred = kf.predict(init);
  EXPECT_DOUBLE_EQ(pred.mean[0], 100);
  EXPECT_DOUBLE_EQ(pred.cov(0, 0), 26.25);
  EXPECT_DOUBLE_EQ(pred.cov(0, 4), 6.25);
  EXPECT_DOUBLE_EQ(pred.cov(4, 0), 6.25);
  EXPECT_DOUBLE_EQ(pred.cov(4, 4), 6.3125);
  EXPECT_DOUBLE_EQ(pred.cov(2, 2), 2e-4 + 1e-10);
  EXPECT_DOUBLE_EQ(pred.cov(0, 1), 0);

  const KalmanState upd = kf.update(pred, {102, 50, 0.5, 40});
  EXPECT_NEAR(upd.mean[0], 100 + 2 * 26.25 / 30.25, 1e-12);
  EXPECT_NEAR(upd.mean[4], 2 * 6.25 / 30.25, 1e-12);
  EXPECT_NEAR(upd.mean[1], 50, 1e-12);
  EXPECT_NEAR(upd.mean[5], 0, 1e-12);
  EXPECT_NEAR(upd.cov(0, 0), 26.25 - 26.25 * 26.25 / 30.25, 1e-12);
  EXPECT_NEAR(upd.cov(0, 4), 6.25 - 26.25 * 6.25 / 30.25, 1e-12);
  EXPECT_NEAR(upd.cov(4, 4), 6.3125 - 6.25 * 6.25 / 30.25, 1e-12);
  EXPECT_NEAR(upd.cov(0, 1), 0, 1e-12);
  // The aspect ratio: S = P_aa + 0.1^2.
  const double paa = 2e-4 + 1e-10;
  EXPECT_NEAR(upd.cov(2, 2), paa - paa * paa / (paa + 1e-2), 1e-15);
}

// A second predict moves each position by its velocity.
TEST(KalmanFilter, PredictAddsTheVelocity) {
  const KalmanFilter kf;
  KalmanState s = kf.initiate({100, 50, 0.5, 40});
  s.mean[4] = 3;
  s.mean[5] = -2;
  const KalmanState p = kf.predict(s);
  EXPECT_DOUBLE_EQ(p.mean[0], 103);
  EXPECT_DOUBLE_EQ(p.mean[1], 48);
  EXPECT_DOUBLE_EQ(p.mean[4], 3);
}

}  // namespace
}  // namespace tint::track
