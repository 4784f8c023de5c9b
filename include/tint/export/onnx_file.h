// What every ONNX file tint writes has in common: the opset, and the summary `tint export` prints.
//
// Opset 13. OpenCV 4.6's importer reads it (its Resize parser takes opset 13's empty roi input), ONNX Runtime reads
// every opset from 7 on, and onnx 1.12's checker (Debian's python3-onnx) knows it. It is the first opset whose Softmax
// is per axis, which the ab decoding (a softmax over the bins, axis 1) needs: opset 11's flattens every axis from
// `axis` on, a different function (tests/export shows OpenCV computing opset 13's). Opset 18's Mish and later Resize
// changes are past what OpenCV 4.6 reads.
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

// Writes the serialized model `bytes` to `out` atomically (write_file_atomic) and returns `summary` with the file and
// its size filled in.
ExportSummary write_onnx_file(const std::filesystem::path& out, const std::string& bytes, ExportSummary summary);

// "model.onnx: unet, ab-bin logits (244), opset 13, 17 nodes, 155812 weights, 623964 bytes".
std::string format_summary(const ExportSummary& summary);

}  // namespace tint::onnx_export
