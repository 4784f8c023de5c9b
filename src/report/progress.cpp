#include "tint/report/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/core.h>

namespace tint::report {

ProgressBar::ProgressBar() : enabled_(::isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(const std::string& label, int64_t done, int64_t total) {
  if (!enabled_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total);
  fmt::print(stderr, "\r{} [{}{}] {}/{}", label, std::string(filled, '#'), std::string(kWidth - filled, '.'), done,
             total);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!enabled_ || !drawn_) return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace tint::report
