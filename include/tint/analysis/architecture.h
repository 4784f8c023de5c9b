// Architecture strings in the source's notation ("conv3-64,maxpool,conv3-128,maxpool,fc"), parsed into a
// LayerGraph, and a real LibTorch network built from such a graph (for verifying counts, shapes and fields).
//
// Grammar: items separated by commas, case and spaces ignored; optional modifiers follow an item as /s2 (stride),
// /d2 (dilation), /p1 (symmetric padding), /op1 (output padding).
//   convK-C        KxK convolution to C channels, stride 1, zero padding that keeps H x W ('same'; for an even
//                  kernel the extra zero goes after). With /sS the output is ceil(H/S); /pN pads N on every side.
//   convtK-C       KxK transposed convolution to C channels, stride 2 unless /sS, padded so that H -> S*H
//                  (padding max(0, ceil((e-S)/2)), output padding 2p + S - e, e = dilation*(K-1)+1).
//   maxpool[K]     KxK max pooling (K = 2 by default), stride K unless /sS, no padding unless /pN.
//   avgpool[K]     the same with averaging.
//   upsample[F]    nearest upsampling by F (2 by default).
//   fc             fully connected layer that keeps its input's shape (as the source's FCNN assumes);
//   fc-N           fully connected layer to N units (shape N x 1 x 1).
//   bn, relu       BatchNorm2d and ReLU.
#pragma once

#include <string>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "tint/analysis/layer_graph.h"

namespace tint::analysis {

// Parses "CxHxW" (e.g. "3x32x32"); throws tint::Error naming `flag`.
Shape parse_shape(const std::string& text, const std::string& flag = "--input");

// Parses an architecture string for inputs of shape `input` and infers shapes. Throws tint::Error naming --arch,
// the item and what is wrong.
LayerGraph parse_architecture(const std::string& text, const Shape& input);

// A LibTorch network computing a (single-input chain) LayerGraph: one registered module per computing layer,
// named layer1, layer2, ... (the layers' module_path), attached to the graph's layers.
class ArchitectureNetImpl : public torch::nn::Module {
 public:
  explicit ArchitectureNetImpl(LayerGraph graph);
  torch::Tensor forward(const torch::Tensor& x);  // (N, C, H, W) -> the last layer's output
  const LayerGraph& graph() const { return graph_; }

 private:
  LayerGraph graph_;
};
TORCH_MODULE(ArchitectureNet);

}  // namespace tint::analysis
