// A colourization network (PoolUpsampleNet, ConvTransposeNet, UNet; either head) as an ONNX graph, written from the
// network's own figure (models::ColourNetImpl::figure_layers): one exporter per layer kind (src/export/
// layer_exporters.h), the layers' inputs concatenated along channels as forward() concatenates them.
//
// The graph: input "grey" (batch, NIC, height, width), the network input tint computes (data::to_network_input: the
// mean of R, G and B of the 8-bit image, / 256), height and width multiples of 4, batch, height and width symbolic;
// output "logits" (batch, NC, height, width): palette logits (argmax = the colour; the palette's RGB in [0, 1] is in
// the metadata) or ab-bin logits (the bins' a, b centres and the run's decoding in the metadata). Batchnorm in
// inference mode (running statistics).
#pragma once

#include <filesystem>
#include <string>

#include "tint/data/ab_bins.h"
#include "tint/data/palette.h"
#include "tint/export/onnx_file.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_config.h"
#include "tint/train/colour_targets.h"

namespace tint::onnx_export {

// What the exported file records about the network besides its weights.
struct ColourizerInfo {
  std::string source;  // where it came from: a checkpoint's path, "pretrained horse", ...
  models::ModelConfig net;
  train::ColourTarget target = train::ColourTarget::palette;
  data::Palette palette;  // palette targets
  data::AbBins bins;      // ab-bins targets
  data::AbDecoding decoding;
  // ab-bins models: also output "ab" (batch, 2, height, width), the decoded a and b (data::AbBins::decode with
  // `decoding`, mean or annealed mean: softmax(logits / T) times the bins' centres, inside the graph). Throws
  // tint::Error for a palette model or the mode decoding (an argmax, which the exporter does not write yet).
  bool decode = false;
};

// The bytes of the .onnx file for `net` (put in eval mode). Throws tint::Error naming the layer for one that no
// exporter handles. Fills `summary` (all but file and bytes).
std::string colourizer_onnx(models::ColourNetImpl& net, const ColourizerInfo& info, ExportSummary& summary);

// Reads `checkpoint` (a colourization run's checkpoint.pt), exports its network to `out` atomically. `source` is
// recorded as where it came from. Throws tint::Error naming the file for an unreadable checkpoint.
ExportSummary export_colourizer(const std::filesystem::path& checkpoint, const std::string& source,
                                const std::filesystem::path& out, bool decode = false);

}  // namespace tint::onnx_export
