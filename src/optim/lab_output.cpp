// Output helpers of the optimization experiments (see lab_output.h).
#include "lab_output.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"

namespace tint::optim::detail {

void prepare_out_dir(const std::filesystem::path& dir) { ensure_directory(dir); }

void write_summary(const std::filesystem::path& dir, const std::string& text) {
  write_file_atomic(dir / "summary.txt", text);
}

std::string format_vector(const torch::Tensor& w, int show) {
  auto v = w.contiguous().to(torch::kFloat64);
  const int64_t n = v.numel();
  const double* p = v.data_ptr<double>();
  std::string out = "(";
  for (int64_t i = 0; i < n && i < show; ++i) out += fmt::format("{}{:.10g}", i ? ", " : "", p[i]);
  if (n > show) out += fmt::format(", ... {} entries", n);
  return out + ")";
}

std::string horizontal_line(double y, const std::string& label) {
  return fmt::format(
      "set arrow from graph 0, first {0:g} to graph 1, first {0:g} nohead dt 2 lc rgb 'gray40'\n"
      "set label '{1}' at graph 0.01, first {0:g} offset 0, 0.6 tc rgb 'gray40'",
      y, label);
}

}  // namespace tint::optim::detail
