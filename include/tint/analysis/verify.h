// `tint summary --verify`: checks a layer graph against the real LibTorch network it describes, so a user can see
// that the printed numbers are right for their configuration:
//   weights          every layer's count (biases and batchnorm included) equals its module's parameters, and the
//                    network has no parameter outside the described layers;
//   shapes           running the graph's modules one by one gives the inferred shape at every layer, and the same
//                    output as the network's own forward();
//   receptive field  the input pixels that can affect the central unit of the network's own forward() are exactly the
//                    analytic field: those its gradient reaches, or, with max pooling (which passes gradient to one
//                    input per window), those whose raise changes it (receptive_field.h, measure_field_by_raising).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "tint/analysis/layer_graph.h"

namespace tint::analysis {

struct Check {
  std::string name;
  bool passed = false;
  std::string detail;  // what was compared, with the numbers
};

// `owner` is the network whose modules the graph's layers hold and `forward` its forward(). The receptive-field
// check overwrites the network's weights (receptive_field.h, prepare_for_measurement), so pass a fresh network.
std::vector<Check> verify_graph(const LayerGraph& graph, torch::nn::Module& owner,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward);

}  // namespace tint::analysis
