// The layer types of a darknet cfg, each built from its [section] by one parse function, as darknet's parser.c has
// one parse_<type> per section (parse_convolutional, parse_route, ...). darknet_model.cpp dispatches over the table
// section by section; this file and darknet_sections.cpp are the only places that know what a section type means.
// Private to the detect layer.
//
// To support a new section type: its options in darknet_cfg.cpp's table (so that parse_cfg accepts it), a Kind and
// its fields in DarknetLayerSpec, a parse_<type> in darknet_sections.cpp with its row in darknet_section_parsers(),
// its computation in DarknetModelImpl::run_layer, and its ONNX nodes in src/export/detector_export.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/yolo_head.h"

namespace tint::detect {

// Bounds that no real cfg comes near, checked so that a crafted one is an error rather than an allocation failure or
// an integer overflow.
inline constexpr int64_t kMaxDarknetSide = 1 << 16;           // feature map height or width
inline constexpr int64_t kMaxDarknetChannels = 1 << 20;       // feature map channels
inline constexpr double kMaxDarknetLayerWeights = 1 << 28;    // a convolution's weights (1 GiB of float32)
inline constexpr double kMaxDarknetNetworkWeights = 1 << 28;  // all of them together (Yolo-Fastest 1.1-xl has 9.2e5)
inline constexpr int kMaxDarknetClasses = 1 << 16;
inline constexpr int kMaxDarknetAnchors = 1 << 10;

// DarknetLayerSpec, a layer as forward() runs it, is in darknet_model.h: the ONNX exporter (export/) reads it too.

// What a section is parsed against (darknet's size_params): where it is in the network and what comes before it.
struct SectionInput {
  int index = 0;                                 // the layer's: 0 is the first section after [net]
  int64_t channels = 0, height = 0, width = 0;   // the previous layer's output (the network input for layer 0)
  const std::vector<DarknetLayerInfo>& earlier;  // layers 0 .. index - 1 as built
  double network_weights = 0;                    // the convolution weights of those layers: all together are bounded
  double batchnorm_epsilon = kDarknetBatchnormEpsilon;
};

// What a parse function gives: the layer, its inputs and output shape, and what the network keeps besides.
struct ParsedSection {
  std::shared_ptr<DarknetLayerSpec> layer = std::make_shared<DarknetLayerSpec>();
  DarknetLayerInfo info;
  std::optional<YoloHead> head;  // [yolo]
  double weights = 0;            // the convolution's weights ([convolutional]), counted towards the network's bound
};

// (section, what comes before) -> layer, output shape. Throws tint::Error naming the file, line, layer and option.
using SectionParser = ParsedSection (*)(const CfgSection& section, const SectionInput& input);

// The parse function of each section type a DarknetModel builds, by the section's name in the cfg.
const std::map<std::string, SectionParser>& darknet_section_parsers();

// The layer of `section` by the parse function of its type, with its output checked to be non-empty and within the
// bounds above. A type without a parse function is an error naming the file, the section's line and the type
// (parse_cfg refuses such types first; a DarknetCfg built by hand reaches this).
ParsedSection parse_section(const CfgSection& section, const SectionInput& input);

}  // namespace tint::detect
