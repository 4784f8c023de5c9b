// What every ONNX file tint writes has in common: the opset, and the summary `tint export` prints.
//
// Opset 13. OpenCV 4.6's importer reads it (its Resize parser takes opset 13's empty roi input; Softmax there is
// opset 13's per-axis softmax, the one OpenCV computes whatever the opset says), ONNX Runtime reads every opset from 7
// on, and onnx 1.12's checker (Debian's python3-onnx) knows it. Opset 11 would also do for the operators used now,
// but its Softmax flattens every axis from `axis` on, which OpenCV does not, so a decoded output (a softmax over the
// bins) would mean two things in the two readers; opset 18's Mish and later Resize changes are past OpenCV 4.6.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace tint::onnx_export {

inline constexpr int kOpset = 13;

// What one export wrote.
struct ExportSummary {
  std::filesystem::path file;
  std::string model;    // e.g. "unet", "yolo-fastest-1.1"
  std::string outputs;  // what the outputs are, e.g. "palette logits (24)", "3 yolo heads"
  int64_t nodes = 0;    // nodes of the graph
  int64_t weights = 0;  // float32 values in its initializers (weights, biases, batchnorm statistics)
  int64_t bytes = 0;    // of the file
};

// "model.onnx: unet, ab-bin logits (244), opset 13, 17 nodes, 155812 weights, 623964 bytes".
std::string format_summary(const ExportSummary& summary);

}  // namespace tint::onnx_export
