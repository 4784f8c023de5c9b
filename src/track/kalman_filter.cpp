#include "tint/track/kalman_filter.h"

#include <cmath>
#include <string>

#include "tint/core/error.h"

namespace tint::track {
namespace {

double square(double x) { return x * x; }

// Solves S X = B for X (4 x 8, S 4 x 4 symmetric positive definite) by Cholesky, S = L L^T; B and X row-major.
std::array<double, 32> solve_spd4(const std::array<double, 16>& s, const std::array<double, 32>& b) {
  std::array<double, 16> l{};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j <= i; ++j) {
      double sum = s[i * 4 + j];
      for (int k = 0; k < j; ++k) sum -= l[i * 4 + k] * l[j * 4 + k];
      if (i == j) {
        if (!(sum > 0)) throw Error("KalmanFilter: the innovation covariance is not positive definite");
        l[i * 4 + i] = std::sqrt(sum);
      } else {
        l[i * 4 + j] = sum / l[j * 4 + j];
      }
    }
  std::array<double, 32> x{};
  for (int col = 0; col < 8; ++col) {
    double y[4];
    for (int i = 0; i < 4; ++i) {  // L y = b
      double sum = b[i * 8 + col];
      for (int k = 0; k < i; ++k) sum -= l[i * 4 + k] * y[k];
      y[i] = sum / l[i * 4 + i];
    }
    for (int i = 3; i >= 0; --i) {  // L^T x = y
      double sum = y[i];
      for (int k = i + 1; k < 4; ++k) sum -= l[k * 4 + i] * x[k * 8 + col];
      x[i * 8 + col] = sum / l[i * 4 + i];
    }
  }
  return x;
}

}  // namespace

Measurement to_measurement(const data::Box& box) {
  const double w = box.x2 - box.x1, h = box.y2 - box.y1;
  if (!(h > 0)) throw Error("track: a box of height " + std::to_string(h) + " cannot be tracked");
  return {box.x1 + w / 2, box.y1 + h / 2, w / h, h};
}

data::Box to_box(const Measurement& m) {
  const double w = m[2] * m[3], h = m[3];
  return {static_cast<float>(m[0] - w / 2), static_cast<float>(m[1] - h / 2), static_cast<float>(m[0] + w / 2),
          static_cast<float>(m[1] + h / 2)};
}

data::Box KalmanState::box() const { return to_box({mean[0], mean[1], mean[2], mean[3]}); }

KalmanState KalmanFilter::initiate(const Measurement& z) const {
  KalmanState s;
  for (int i = 0; i < 4; ++i) s.mean[i] = z[i];  // velocities 0
  const double h = z[3];
  const double p = noise_.std_weight_position * h, v = noise_.std_weight_velocity * h;
  const std::array<double, 8> std = {2 * p, 2 * p, 1e-2, 2 * p, 10 * v, 10 * v, 1e-5, 10 * v};
  for (int i = 0; i < 8; ++i) s.covariance[i * 8 + i] = square(std[i]);
  return s;
}

KalmanState KalmanFilter::predict(const KalmanState& s) const {
  const double h = s.mean[3];  // the height before the step, as kalman_filter.py's predict
  const double p = noise_.std_weight_position * h, v = noise_.std_weight_velocity * h;
  const std::array<double, 8> std = {p, p, 1e-2, p, v, v, 1e-5, v};
  KalmanState out;
  // x <- F x: each position gains its velocity.
  for (int i = 0; i < 8; ++i) out.mean[i] = s.mean[i] + (i < 4 ? s.mean[i + 4] : 0.0);
  // F P: row i (i < 4) gains row i + 4; then (F P) F^T: column j (j < 4) gains column j + 4.
  std::array<double, 64> fp = s.covariance;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) fp[i * 8 + j] += s.covariance[(i + 4) * 8 + j];
  out.covariance = fp;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) out.covariance[i * 8 + j] += fp[i * 8 + j + 4];
  for (int i = 0; i < 8; ++i) out.covariance[i * 8 + i] += square(std[i]);  // + Q
  return out;
}

void KalmanFilter::project(const KalmanState& s, Measurement& mean, std::array<double, 16>& covariance) const {
  const double p = noise_.std_weight_position * s.mean[3];
  const std::array<double, 4> std = {p, p, 1e-1, p};
  for (int i = 0; i < 4; ++i) {
    mean[i] = s.mean[i];
    for (int j = 0; j < 4; ++j) covariance[i * 4 + j] = s.cov(i, j) + (i == j ? square(std[i]) : 0.0);
  }
}

KalmanState KalmanFilter::update(const KalmanState& s, const Measurement& z) const {
  Measurement projected;
  std::array<double, 16> innovation_cov;
  project(s, projected, innovation_cov);
  // K^T = S^-1 (P H^T)^T = S^-1 H P: H P is the first four rows of P (P is symmetric).
  std::array<double, 32> hp;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) hp[i * 8 + j] = s.cov(i, j);
  const std::array<double, 32> gain_t = solve_spd4(innovation_cov, hp);  // 4 x 8: gain_t[k][i] = K[i][k]
  KalmanState out = s;
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 4; ++k) out.mean[i] += gain_t[k * 8 + i] * (z[k] - projected[k]);
  // P - K S K^T, and K S = P H^T, so K S K^T = K (H P) = sum_k K[i][k] * HP[k][j].
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double sum = 0;
      for (int k = 0; k < 4; ++k) sum += gain_t[k * 8 + i] * hp[k * 8 + j];
      out.covariance[i * 8 + j] -= sum;
    }
  return out;
}

}  // namespace tint::track
