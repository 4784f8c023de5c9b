// A thin writer over libonnx's protobuf classes (onnx::GraphProto): initializers from LibTorch tensors, nodes with
// their attributes, and names made unique. Private to the export layer: its public headers never show the protobuf
// types, so that users of tint need neither the ONNX headers nor their ONNX_ML / ONNX_NAMESPACE definitions.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <torch/types.h>

namespace tint::onnx_export {

class OnnxGraph {
 public:
  explicit OnnxGraph(onnx::GraphProto& graph) : graph_(graph) {}

  // `base`, or `base_2`, `base_3`, ... : a name no value or node of the graph has yet.
  std::string fresh(const std::string& base);

  // A float32 initializer holding `tensor` (any dtype and layout: it is converted and copied in NCHW / row-major
  // order, which is what ONNX's raw_data means). Returns its (fresh) name.
  std::string weight(const std::string& name, const torch::Tensor& tensor);
  // An int64 or float32 constant of one dimension.
  std::string int64s(const std::string& name, const std::vector<int64_t>& values);
  std::string floats(const std::string& name, const std::vector<float>& values);

  // Adds a node `op` reading `inputs`, with one output named fresh(name) (the node's own name is the same); returns
  // the node so that the caller adds its attributes.
  onnx::NodeProto& node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs);
  // The (only) output of `node`.
  static const std::string& output(const onnx::NodeProto& node) { return node.output(0); }

  onnx::GraphProto& proto() { return graph_; }

 private:
  onnx::GraphProto& graph_;
  std::set<std::string> names_;
};

void set_attribute(onnx::NodeProto& node, const std::string& name, int64_t value);
void set_attribute(onnx::NodeProto& node, const std::string& name, float value);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values);

// A value of the graph's interface (an input or output): float32 of `dims`, where a dimension given as a string is
// symbolic ("batch") and a number is fixed.
struct Dim {
  Dim(int64_t v) : value(v) {}             // NOLINT: a fixed dimension reads as a number
  Dim(const char* name) : symbol(name) {}  // NOLINT: a symbolic one as its name
  int64_t value = -1;
  std::string symbol;
};
void describe_value(onnx::ValueInfoProto& value, const std::string& name, const std::vector<Dim>& dims,
                    const std::string& doc);

// A ModelProto at kOpset (the default domain), produced by tint, with `doc` as its docstring; its graph named
// `graph_name`.
void start_model(onnx::ModelProto& model, const std::string& graph_name, const std::string& doc);
void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value);
// Makes `to` the name of the value `from` (the outputs of the node that writes it and every input that reads it).
void rename_value(onnx::GraphProto& graph, const std::string& from, const std::string& to);
// The float32 values the initializers hold.
int64_t count_weights(const onnx::GraphProto& graph);
// The model's bytes, as an .onnx file holds them; throws tint::Error when protobuf cannot serialize it.
std::string serialize(const onnx::ModelProto& model);

}  // namespace tint::onnx_export
