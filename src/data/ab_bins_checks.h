// What makes a set of ab bins valid, shared by the files of data/ab_bins*.cpp: the constructor checks it, AbBins::fit
// the options and the ab range, AbBins::from_json the size before reading the centres. Private to the data layer.
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "tint/data/ab_bins.h"

namespace tint::data::ab_bins_checks {

inline constexpr int64_t kMaxBins = 10000;
// The neighbour table in AbBins::nearest has a row per grid cell of the kept bins' bounding box and is built from
// the (cells, Q) distances on every call; finer grids than this make it grow as grid^-4.
inline constexpr double kMinGrid = 4.0;
inline constexpr double kMaxGrid = 50.0;
inline constexpr double kMaxAb = 1000.0;  // |a|, |b| of any colour are far below this

// Why `options` are not usable, or "" when they are.
std::string invalid_options(const AbBinsOptions& options);
// Why (centres, prior, options) is not a valid set of bins, or "" when it is.
std::string invalid_reason(const torch::Tensor& centres, const torch::Tensor& prior, const AbBinsOptions& options);

}  // namespace tint::data::ab_bins_checks
