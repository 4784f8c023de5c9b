// Whole numbers that files hold as reals (a CSV cell parsed with std::stod, a JSON number): epoch numbers in
// metrics.csv (train/run_dir.cpp, detect/fine_tune.cpp) and in detection checkpoints' histories. Converting a double
// that is NaN, infinite or outside int's range to int is undefined behaviour (UBSan: float-cast-overflow; found by
// fuzz/fuzz_metrics_csv.cpp with an epoch of 1e10), so readers convert through this and refuse what it refuses.
#pragma once

#include <cmath>
#include <limits>
#include <optional>

namespace tint {

// `v` as an int when it is a whole number in min..max; nothing when it is not (NaN, an infinity, a fraction, a number
// out of range). Every int is exactly a double, so the comparisons are exact.
inline std::optional<int> whole_int(double v, int min, int max = std::numeric_limits<int>::max()) {
  if (!(v >= min && v <= max) || v != std::floor(v)) return std::nullopt;
  return static_cast<int>(v);
}

}  // namespace tint
