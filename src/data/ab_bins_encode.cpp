// From ab to bins: each pixel's nearest kept bins (a neighbour table over the grid cells, so about 20 candidates
// instead of Q per pixel), the hard targets (encode) and Zhang's soft targets (soft_encode).
#include "tint/data/ab_bins.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::data {

namespace {
constexpr int64_t kPixelBlock = int64_t{1} << 20;  // pixels per block in nearest(): converted to float64 at once
constexpr int64_t kPixelGrain = 4096;              // pixels per parallel task in nearest()
constexpr int64_t kMargin = 2;                     // grid cells of the neighbour table beyond the kept bins

// (N, 2, H, W) -> (P, 2), pixels in (n, y, x) order, in ab's own dtype (nearest() converts block by block).
torch::Tensor pixels_of(const torch::Tensor& ab, const char* what) {
  TORCH_CHECK(ab.dim() == 4 && ab.size(1) == 2, what, " expects ab (N, 2, H, W), got ", ab.sizes());
  TORCH_CHECK(ab.is_floating_point(), what, " expects floating-point ab, got ", ab.scalar_type());
  return ab.detach().permute({0, 2, 3, 1}).reshape({-1, 2});
}

// (P, k) per pixel -> (N, k, H, W).
torch::Tensor to_image_layout(const torch::Tensor& per_pixel, const torch::Tensor& ab) {
  return per_pixel.view({ab.size(0), ab.size(2), ab.size(3), per_pixel.size(1)}).permute({0, 3, 1, 2}).contiguous();
}
}  // namespace

torch::Tensor SoftTargets::to_dense(int64_t num_bins) const {
  TORCH_CHECK(ids.dim() == 4 && weights.sizes() == ids.sizes(), "SoftTargets: ids ", ids.sizes(), " and weights ",
              weights.sizes(), " must both be (N, K, H, W)");
  return torch::zeros({ids.size(0), num_bins, ids.size(2), ids.size(3)}, torch::kFloat32)
      .scatter_add_(1, ids, weights.to(torch::kFloat32));
}

std::pair<torch::Tensor, torch::Tensor> AbBins::nearest(const torch::Tensor& ab, int64_t k, const char* what) const {
  TORCH_CHECK(size() > 0, what, " on empty bins");
  TORCH_CHECK(k >= 1 && k <= size(), what, ": ", k, " neighbours of ", size(), " bins");
  const int64_t q = size();
  const double grid = options_.grid;
  std::vector<double> ca(q), cb(q);
  std::vector<int64_t> li(q), lj(q);  // the centres' grid coordinates (exact: centres are on the grid)
  auto c = centres_.accessor<float, 2>();
  for (int64_t i = 0; i < q; ++i) {
    ca[i] = c[i][0], cb[i] = c[i][1];
    li[i] = std::llround(ca[i] / grid), lj[i] = std::llround(cb[i] / grid);
  }
  const int64_t i0 = *std::min_element(li.begin(), li.end()) - kMargin;
  const int64_t i1 = *std::max_element(li.begin(), li.end()) + kMargin;
  const int64_t j0 = *std::min_element(lj.begin(), lj.end()) - kMargin;
  const int64_t j1 = *std::max_element(lj.begin(), lj.end()) + kMargin;
  const int64_t width = j1 - j0 + 1;
  const int64_t cells = (i1 - i0 + 1) * width;

  // A neighbour table over the grid cells: for the cell around g, every bin that can be among the k nearest of a
  // point x in it. With r = grid / sqrt(2) (|x - g| <= r) and D_k(g) the k-th smallest |g - c|, x's k nearest lie
  // within D_k(g) + r of x, hence within D_k(g) + 2r of g: about 20 candidates instead of Q for k = 5, in ascending
  // id order (so ties go to the lower id, as a scan over all bins would). Stored as one list with row offsets.
  std::vector<int64_t> offsets{0}, candidates;
  std::vector<double> d(q), sorted(q);
  for (int64_t cell = 0; cell < cells; ++cell) {
    const double ga = double(cell / width + i0) * grid, gb = double(cell % width + j0) * grid;
    for (int64_t i = 0; i < q; ++i) d[i] = std::hypot(ga - ca[i], gb - cb[i]);
    sorted = d;
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end());
    const double bound = sorted[k - 1] + 2.0 * grid * std::sqrt(0.5) * (1 + 1e-9) + 1e-9 * grid;
    for (int64_t i = 0; i < q; ++i) {
      if (d[i] <= bound) candidates.push_back(i);
    }
    offsets.push_back(int64_t(candidates.size()));
  }
  std::vector<int64_t> all(q);
  std::iota(all.begin(), all.end(), 0);

  const int64_t p = ab.size(0);
  auto ids = torch::empty({p, k}, torch::kInt64);
  auto d2 = torch::empty({p, k}, torch::kFloat64);
  int64_t* id_out = ids.data_ptr<int64_t>();
  double* d2_out = d2.data_ptr<double>();
  std::atomic<bool> non_finite{false};
  for (int64_t start = 0; start < p; start += kPixelBlock) {
    const int64_t end = std::min(p, start + kPixelBlock);
    auto block = ab.slice(0, start, end).to(torch::kFloat64).contiguous();
    const double* x = block.data_ptr<double>();
    at::parallel_for(0, end - start, kPixelGrain, [&](int64_t begin, int64_t stop) {
      std::vector<double> best_d(k);
      std::vector<int64_t> best_id(k);
      for (int64_t px = begin; px < stop; ++px) {
        const double a = x[2 * px], b = x[2 * px + 1];
        if (!std::isfinite(a) || !std::isfinite(b)) {
          non_finite = true;
          continue;
        }
        const double fi = std::floor(a / grid + 0.5), fj = std::floor(b / grid + 0.5);
        const int64_t* list = all.data();
        int64_t count = q;
        if (fi >= double(i0) && fi <= double(i1) && fj >= double(j0) && fj <= double(j1)) {
          const int64_t row = (int64_t(fi) - i0) * width + (int64_t(fj) - j0);
          list = candidates.data() + offsets[row];
          count = offsets[row + 1] - offsets[row];
        }  // else far outside the bins' box (no colour of a photo): every bin is a candidate
        // Insertion into the k best so far; strict < keeps the earlier (lower) id on a tie.
        int64_t found = 0;
        for (int64_t n = 0; n < count; ++n) {
          const int64_t id = list[n];
          const double e = (a - ca[id]) * (a - ca[id]) + (b - cb[id]) * (b - cb[id]);
          if (found == k && !(e < best_d[k - 1])) continue;
          int64_t at = found < k ? found++ : k - 1;
          while (at > 0 && e < best_d[at - 1]) {
            best_d[at] = best_d[at - 1];
            best_id[at] = best_id[at - 1];
            --at;
          }
          best_d[at] = e;
          best_id[at] = id;
        }
        for (int64_t n = 0; n < k; ++n) {
          id_out[(start + px) * k + n] = best_id[n];
          d2_out[(start + px) * k + n] = best_d[n];
        }
      }
    });
  }
  if (non_finite) throw Error(fmt::format("{}: ab has NaN or infinite values", what));
  return {ids, d2};
}

torch::Tensor AbBins::encode(const torch::Tensor& ab) const {
  torch::NoGradGuard no_grad;
  auto ids = nearest(pixels_of(ab, "AbBins::encode"), 1, "AbBins::encode").first;
  return ids.view({ab.size(0), ab.size(2), ab.size(3)});
}

SoftTargets AbBins::soft_encode(const torch::Tensor& ab, int neighbours, double sigma) const {
  if (neighbours < 1 || neighbours > size()) {
    throw Error(fmt::format("soft targets: {} neighbours, expected 1..{} (the number of bins)", neighbours, size()));
  }
  if (!(sigma > 0.0 && std::isfinite(sigma))) throw Error(fmt::format("soft targets: sigma {} must be > 0", sigma));
  torch::NoGradGuard no_grad;
  auto [ids, d2] = nearest(pixels_of(ab, "AbBins::soft_encode"), neighbours, "AbBins::soft_encode");
  // Relative to the nearest bin, so that a pixel far from every bin still gets finite weights (same result after
  // normalising).
  auto w = torch::exp(-(d2 - d2.slice(1, 0, 1)) / (2.0 * sigma * sigma));
  w = w / w.sum(1, /*keepdim=*/true);
  return {to_image_layout(ids, ab), to_image_layout(w.to(torch::kFloat32), ab)};
}

}  // namespace tint::data
