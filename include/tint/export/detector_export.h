// A darknet detector (detect::DarknetModel: a .cfg and its .weights) as an ONNX graph, layer by layer as
// DarknetModelImpl::forward computes it (detect::DarknetLayerSpec): convolutions with their batchnorm folded in (the
// model's own epsilon, darknet's 1e-5 by default), activations, shortcuts, routes (with groups), upsampling and
// max-pooling; dropout is the identity at inference.
//
// The graph: input "image" (batch, channels, height, width) at the cfg's size, RGB in [0, 1] (tint's network input:
// the photo stretched or letterboxed to that size, / 255); batch symbolic. Outputs "head0", "head1", ...: the raw
// inputs of the [yolo] layers in cfg order, (batch, A*(5+C), height/s, width/s), each anchor's channels tx, ty, tw,
// th, objectness, then C class logits (darknet's order). The metadata records, per head, its anchors in input pixels,
// their mask, the classes and scale_x_y (darknet's box formula needs them), and the class names.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tint/detect/darknet_model.h"
#include "tint/export/onnx_file.h"

namespace tint::onnx_export {

struct DetectorInfo {
  std::string name;                      // e.g. "yolo-fastest-1.1" (the cfg's stem)
  std::string source;                    // where it came from, recorded in the file
  std::vector<std::string> class_names;  // empty: not recorded
  // Also the decoded outputs, darknet's box formula inside the graph so that a user needs only NMS: "boxes" (batch,
  // B, 4) x1, y1, x2, y2 in input pixels and "scores" (batch, B, C) objectness x class probability, B the anchors of
  // every cell of every head (in head, anchor, row, column order, as detect::decode flattens them).
  bool decode = false;
};

// The bytes of the .onnx file for `model` (put in eval mode). Throws tint::Error naming the layer for one that the
// export cannot write. Fills `summary` (all but file and bytes).
std::string detector_onnx(detect::DarknetModelImpl& model, const DetectorInfo& info, ExportSummary& summary);

// Reads cfg + weights (+ the class names, when `names` is not empty) and exports the network to `out` atomically.
ExportSummary export_detector(const std::filesystem::path& cfg, const std::filesystem::path& weights,
                              const std::filesystem::path& names, const std::filesystem::path& out,
                              bool decode = false);

}  // namespace tint::onnx_export
