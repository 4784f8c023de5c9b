#include "onnx_reference.h"

#include <cstring>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"

namespace tint::test {
namespace fs = std::filesystem;

OnnxReference run_onnx_reference(const fs::path& model, const torch::Tensor& input) {
  const auto script = source_dir() / "tests" / "export" / "onnx_reference.py";
  std::string command =
      shell_quote(reference_python()) + " " + shell_quote(script.string()) + " " + shell_quote(model.string());
  const fs::path in = model.string() + ".input.f32", out = model.string() + ".opencv.f32";
  if (input.defined()) {
    const auto x = input.to(torch::kFloat32).contiguous();
    write_file_atomic(in, std::string_view(static_cast<const char*>(x.data_ptr()), x.numel() * sizeof(float)));
    std::string shape;
    for (const auto d : x.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    command += " --input " + shell_quote(in.string()) + " --shape " + shape + " --output " + shell_quote(out.string());
  }
  const auto result = run_command(command);
  OnnxReference reference;
  EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.out << result.err;
  if (result.exit_code != 0) return reference;
  reference.json = nlohmann::json::parse(result.out);
  if (!input.defined()) return reference;
  const auto bytes = read_file(out);
  size_t offset = 0;
  for (const auto& shape : reference.json.at("opencv")) {
    auto y = torch::empty(shape.get<std::vector<int64_t>>(), torch::kFloat32);
    const size_t n = y.numel() * sizeof(float);
    EXPECT_LE(offset + n, bytes.size());
    if (offset + n > bytes.size()) break;
    std::memcpy(y.data_ptr(), bytes.data() + offset, n);
    offset += n;
    reference.outputs.push_back(y);
  }
  EXPECT_EQ(offset, bytes.size());
  return reference;
}

Missing missing_onnx_reference() {
  if (auto missing = missing_python_cv2()) return missing;
  return missing_tool(python_can_import("onnx"), "ONNX's Python module (`" + reference_python() +
                                                     " -c 'import onnx'` fails; Debian: apt-get install python3-onnx, "
                                                     "which scripts/deps.sh test installs; or set TINT_PYTHON)");
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.defined() || !b.defined() || a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace tint::test
