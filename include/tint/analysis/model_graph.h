// The layer graph of a model of the model table, read from the real module: every layer's kind, channels and geometry come
// from the LibTorch module's own options, and every layer keeps a handle on the module that computes it.
//
// The data flow (which block's output feeds which, and where UNet concatenates) is the model's own list of layers
// and inputs (models::ColourNetImpl::figure_layers()), the one its forward() runs; the analysis tests check that
// running the graph reproduces the model's forward().
#pragma once

#include <memory>
#include <string>

#include <torch/nn/module.h>

#include "tint/analysis/layer_graph.h"
#include "tint/models/colour_net.h"

namespace tint::analysis {

// Describes one module (Conv2d, ConvTranspose2d, models::SameConv2d, MaxPool2d, AvgPool2d, Upsample (nearest,
// integer factor), BatchNorm2d, ReLU) as a layer named `path`; throws tint::Error for anything else.
Layer describe_module(const std::string& path, const std::shared_ptr<torch::nn::Module>& module);

// The graph of `net` for inputs of shape `input` (C must be the model's NIC), with shapes inferred.
LayerGraph describe_model(const models::ColourNet& net, const Shape& input);

}  // namespace tint::analysis
