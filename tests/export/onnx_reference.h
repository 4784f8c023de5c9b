// The tests' side of tests/export/onnx_reference.py: an exported file checked by onnx's checker and run by OpenCV's
// DNN module, on the same input tensor tint runs.
#pragma once

#include <filesystem>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace tint::test {

// What the script said (its JSON: opset, nodes, weights, ops, inputs, outputs, metadata, doc) and, when an input was
// given, OpenCV's outputs in the graph's order. A failure of the script (the checker refusing the file, OpenCV
// refusing to read or run it) fails the test and leaves `json` null.
struct OnnxReference {
  nlohmann::json json;
  std::vector<torch::Tensor> outputs;
};
OnnxReference run_onnx_reference(const std::filesystem::path& model, const torch::Tensor& input = {});

// The checker and OpenCV: both come from Debian (python3-onnx, python3-opencv; scripts/deps.sh test).
Missing missing_onnx_reference();

// max |a - b|, with the shapes required equal (else +inf).
double max_difference(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace tint::test
