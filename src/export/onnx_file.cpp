#include "tint/export/onnx_file.h"

#include <fmt/core.h>

namespace tint::onnx_export {

std::string format_summary(const ExportSummary& s) {
  return fmt::format("{}: {}, {}, opset {}, {} nodes, {} weights, {} bytes", s.file.string(), s.model, s.outputs,
                     kOpset, s.nodes, s.weights, s.bytes);
}

}  // namespace tint::onnx_export
