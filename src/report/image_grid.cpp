#include "tint/report/image_grid.h"

#include <algorithm>

#include <torch/torch.h>

namespace tint::report {

torch::Tensor make_grid(const std::vector<torch::Tensor>& rows, int pad, int scale) {
  TORCH_CHECK(!rows.empty(), "make_grid needs at least one row");
  TORCH_CHECK(pad >= 0 && scale >= 1, "make_grid: pad must be >= 0 and scale >= 1");
  const int64_t h = rows[0].size(2) * scale, w = rows[0].size(3) * scale;
  int64_t columns = 0;
  for (const auto& row : rows) {
    TORCH_CHECK(row.dim() == 4 && (row.size(1) == 1 || row.size(1) == 3), "make_grid rows must be (N, 1|3, H, W)");
    TORCH_CHECK(row.size(2) * scale == h && row.size(3) * scale == w, "make_grid rows must share H and W");
    columns = std::max(columns, row.size(0));
  }
  const auto rows_count = static_cast<int64_t>(rows.size());
  auto grid = torch::ones({3, pad + rows_count * (h + pad), pad + columns * (w + pad)}, torch::kFloat32);
  for (int64_t r = 0; r < rows_count; ++r) {
    auto row = rows[r].to(torch::kFloat32).clamp(0.0, 1.0);
    if (row.size(1) == 1) row = row.expand({-1, 3, -1, -1});
    if (scale > 1) row = row.repeat_interleave(scale, 2).repeat_interleave(scale, 3);
    for (int64_t c = 0; c < row.size(0); ++c) {
      const int64_t y = pad + r * (h + pad), x = pad + c * (w + pad);
      grid.slice(1, y, y + h).slice(2, x, x + w).copy_(row[c]);
    }
  }
  return grid;
}

torch::Tensor palette_swatch(const torch::Tensor& colours, int cell) {
  TORCH_CHECK(colours.dim() == 2 && colours.size(1) == 3, "palette_swatch expects (K, 3) colours");
  // (K, 3) -> (3, 1, K) -> each colour becomes a cell x cell square.
  auto strip = colours.to(torch::kFloat32).t().unsqueeze(1);
  return strip.repeat_interleave(cell, 2).repeat({1, cell, 1}).contiguous();
}

}  // namespace tint::report
