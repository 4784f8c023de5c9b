#include "tint/report/progress.h"

#include <atomic>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/core.h>

namespace tint::report {

std::string format_progress(const std::string& label, int64_t done, int64_t total, const std::string& unit,
                            double rate) {
  std::string text = label;
  if (total > 0) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * std::clamp<int64_t>(done, 0, total) / total);
    text += fmt::format(" [{}{}] {}/{}", std::string(filled, '#'), std::string(kWidth - filled, '.'), done, total);
  } else {
    text += fmt::format(" {}", done);
  }
  if (!unit.empty()) text += " " + unit;
  if (rate > 0) {
    text += fmt::format(" {:.1f}/s", rate);
    if (total > done) {
      const auto left = static_cast<int64_t>(std::ceil(double(total - done) / rate));
      text += fmt::format(" ETA {}:{:02}", left / 60, left % 60);
    }
  }
  return text;
}

namespace {
std::atomic<bool> g_disabled{false};
}  // namespace

void ProgressBar::disable_all() { g_disabled = true; }

ProgressBar::ProgressBar() : enabled_(!g_disabled && ::isatty(STDERR_FILENO) != 0) {}

void ProgressBar::update(const std::string& label, int64_t done, int64_t total, const std::string& unit) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (label != label_ || done < last_done_) {
    label_ = label;
    start_ = now;
    start_done_ = done;
  }
  last_done_ = done;
  if (total <= 0 && unit.empty()) return;  // no total and nothing counted: nothing to draw
  const bool finished = total > 0 && done >= total;
  if (drawn_ && !finished && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  // The rate counts the work since the label's first update (`done` may start past 0: a resumed epoch), once a
  // second of it has been measured.
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds >= 1.0 ? double(done - start_done_) / seconds : 0.0;
  const std::string text = format_progress(label, done, total, unit, rate);
  fmt::print(stderr, "\r\033[K{}", text);
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
