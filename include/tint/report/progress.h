// A one-line progress bar on stderr, drawn only when stderr is a terminal (logs and pipes stay clean).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tint::report {

class ProgressBar {
 public:
  ProgressBar();
  bool enabled() const { return enabled_; }
  // Redraws at most ~10 times a second, and always at done == total.
  void update(const std::string& label, int64_t done, int64_t total);
  // Erases the bar so that the next line prints cleanly.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace tint::report
