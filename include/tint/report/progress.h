// A one-line progress bar on stderr, drawn only when stderr is a terminal (logs and pipes stay clean), with the rate
// and the time left once a second of work has been measured.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tint::report {

// The bar's text: "label [#####.....] done/total unit rate/s ETA m:ss" (total > 0), or "label done unit rate/s" when
// the total is unknown (total <= 0: a video whose container declares no frame count). `rate` is per second; 0 or less
// (not measured yet) leaves out the rate and the ETA. `unit` may be empty.
std::string format_progress(const std::string& label, int64_t done, int64_t total, const std::string& unit,
                            double rate);

class ProgressBar {
 public:
  ProgressBar();
  // From now on no bar of this process draws: a worker of a multi-process job whose terminal rank 0's bar uses.
  static void disable_all();
  bool enabled() const { return enabled_; }
  // Redraws at most ~10 times a second, and always at done == total. A new label (or `done` going back) restarts
  // the rate's clock.
  void update(const std::string& label, int64_t done, int64_t total, const std::string& unit = "");
  // Erases the bar so that the next line prints cleanly.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{}, start_{};
  std::string label_;
  int64_t start_done_ = 0, last_done_ = 0;
};

}  // namespace tint::report
