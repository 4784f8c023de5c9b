#include "onnx_graph.h"

#include <fmt/core.h>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/core/runtime.h"
#include "tint/export/onnx_file.h"

namespace tint::onnx_export {

std::string OnnxGraph::fresh(const std::string& base) {
  std::string name = base;
  for (int k = 2; names_.count(name) != 0; ++k) name = fmt::format("{}_{}", base, k);
  names_.insert(name);
  return name;
}

std::string OnnxGraph::weight(const std::string& name, const torch::Tensor& tensor) {
  // contiguous() is the point: a channels-last weight's storage is in (O, kH, kW, I) order, ONNX reads (O, I, kH, kW).
  const auto values = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  auto* t = graph_.add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (const auto d : values.sizes()) t->add_dims(d);
  // raw_data is little-endian, as x86-64's own floats are.
  t->set_raw_data(std::string(static_cast<const char*>(values.data_ptr()), values.numel() * sizeof(float)));
  return t->name();
}

std::string OnnxGraph::int64s(const std::string& name, const std::vector<int64_t>& values) {
  auto* t = graph_.add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (const auto v : values) t->add_int64_data(v);
  return t->name();
}

std::string OnnxGraph::floats(const std::string& name, const std::vector<float>& values) {
  auto* t = graph_.add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (const auto v : values) t->add_float_data(v);
  return t->name();
}

onnx::NodeProto& OnnxGraph::node(const std::string& op, const std::string& name,
                                 const std::vector<std::string>& inputs) {
  auto* n = graph_.add_node();
  n->set_op_type(op);
  n->set_name(fresh(name));
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(n->name());
  return *n;
}

void set_attribute(onnx::NodeProto& node, const std::string& name, int64_t value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, float value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const auto v : values) a->add_ints(v);
}

void describe_value(onnx::ValueInfoProto& value, const std::string& name, const std::vector<Dim>& dims,
                    const std::string& doc) {
  value.set_name(name);
  value.set_doc_string(doc);
  auto* tensor = value.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (d.symbol.empty()) {
      dim->set_dim_value(d.value);
    } else {
      dim->set_dim_param(d.symbol);
    }
  }
}

void start_model(onnx::ModelProto& model, const std::string& graph_name, const std::string& doc) {
  // IR version 7 is the one that opset 13 came with (ONNX 1.8); readers of a newer IR accept it.
  model.set_ir_version(7);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  model.set_producer_name("tint");
  model.set_producer_version(version());
  model.set_doc_string(doc);
  model.mutable_graph()->set_name(graph_name);
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* entry = model.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

void rename_value(onnx::GraphProto& graph, const std::string& from, const std::string& to) {
  for (auto& node : *graph.mutable_node()) {
    for (auto& name : *node.mutable_input())
      if (name == from) name = to;
    for (auto& name : *node.mutable_output())
      if (name == from) name = to;
  }
}

int64_t count_weights(const onnx::GraphProto& graph) {
  int64_t n = 0;
  for (const auto& t : graph.initializer()) {
    if (t.data_type() != onnx::TensorProto::FLOAT) continue;
    int64_t size = 1;
    for (const auto d : t.dims()) size *= d;
    n += size;
  }
  return n;
}

std::string serialize(const onnx::ModelProto& model) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw Error("cannot serialize the ONNX model of " + model.graph().name());
  return bytes;
}

}  // namespace tint::onnx_export
