#include "tint/export/onnx_file.h"

#include <fmt/core.h>

#include "tint/core/atomic_file.h"

namespace tint::onnx_export {

ExportSummary write_onnx_file(const std::filesystem::path& out, const std::string& bytes, ExportSummary summary) {
  write_file_atomic(out, bytes);
  summary.file = out;
  summary.bytes = static_cast<int64_t>(bytes.size());
  return summary;
}

std::string format_summary(const ExportSummary& s) {
  return fmt::format("{}: {}, {}, opset {}, {} nodes, {} weights, {} bytes", s.file.string(), s.model, s.outputs,
                     kOpset, s.nodes, s.weights, s.bytes);
}

}  // namespace tint::onnx_export
