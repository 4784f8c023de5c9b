// A darknet network (a .cfg) as a LibTorch module: convolutional (groups, batchnorm), shortcut, route (groups,
// group_id), upsample, maxpool, dropout and yolo layers, computed as darknet (AlexeyAB) computes them. forward()
// returns the raw inputs of the yolo layers; detect::decode (yolo_head.h) makes boxes of them.
//
// Parameters are named for darknet's layer index, so that "the first N layers" can be frozen by name:
//   layers.<i>.conv.weight, layers.<i>.conv.bias (a convolution without batchnorm),
//   layers.<i>.bn.weight / bias / running_mean / running_var (with batchnorm: darknet's scales, biases, rolling stats).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <c10/core/MemoryFormat.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "tint/detect/darknet_cfg.h"
#include "tint/detect/yolo_head.h"

namespace tint::detect {

// Darknet's batchnorm epsilon: AlexeyAB's darknet, which trained Yolo-Fastest, divides by sqrt(variance + .00001f)
// at inference on CPU (blas.c normalize_cpu), on GPU (cuDNN, batchnorm_layer.c) and when it fuses batchnorm into
// convolutions (convolutional_layer.c). OpenCV's importer uses 1e-6 instead (darknet_io.cpp: "eps", 1E-6). Yolo-Fastest
// has running variances down to 5e-4, where the two differ by 0.5 % in scale: its raw head outputs (up to ~33) move by
// up to 0.015, its sigmoids by at most 0.003 (tests/detect/test_darknet_opencv.cpp measures both).
inline constexpr double kDarknetBatchnormEpsilon = 1e-5;
inline constexpr double kOpenCVBatchnormEpsilon = 1e-6;
// Darknet updates its rolling statistics as rolling = .99 rolling + .01 batch (LibTorch's momentum 0.01).
inline constexpr double kDarknetBatchnormMomentum = 0.01;

// A [convolutional] layer: convolution, then batchnorm (or the convolution's own bias without), then activation.
class DarknetConvImpl : public torch::nn::Module {
 public:
  DarknetConvImpl(int in_channels, int filters, int size, int stride, int padding, int groups, bool batch_normalize,
                  Activation activation, double batchnorm_epsilon = kDarknetBatchnormEpsilon);
  // (N, in_channels, H, W) -> (N, filters, H', W'). In eval mode the batchnorm is folded into the convolution's
  // weights (recomputed only when a parameter changes), as OpenCV and darknet's fuse_conv_batchnorm do.
  torch::Tensor forward(const torch::Tensor& x) const;

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};  // null without batch_normalize
  int size, stride, padding, groups;
  Activation activation;

 private:
  // The folded weights, a cache: forward is const (a model may be shared by const users) but refreshes it.
  mutable torch::Tensor folded_weight_, folded_bias_;
  mutable std::vector<int64_t> folded_versions_;
};
TORCH_MODULE(DarknetConv);

// A layer as forward() runs it: its kind and the values of its section that the computation needs. Built by the
// section's parse function (src/detect/darknet_sections.h); read by run_layer and by the ONNX exporter (export/).
struct DarknetLayerSpec {
  enum class Kind { convolutional, shortcut, route, upsample, maxpool, dropout, yolo };
  Kind kind = Kind::dropout;
  std::vector<int> from;  // shortcut: the layers added to the previous one; route: the layers concatenated
  Activation activation = Activation::linear;  // shortcut
  int groups = 1, group_id = 0;                // route
  int size = 1, stride = 1;                    // maxpool, upsample
  int pad_before = 0, pad_after = 0;           // maxpool
  double probability = 0;                      // dropout
  DarknetConv conv{nullptr};                   // convolutional
};

// One layer as built, at the cfg's input size.
struct DarknetLayerInfo {
  std::string type;         // the cfg section type
  std::vector<int> inputs;  // layer indices read (-1: the network input)
  int64_t out_channels = 0, out_height = 0, out_width = 0;
};

class DarknetModelImpl : public torch::nn::Module {
 public:
  // Builds the network of `cfg` with LibTorch's default initialisation (load_weights fills it). Throws tint::Error
  // naming the cfg file, line and layer for a value tint cannot build: a bad size or index, channels that do not
  // divide into groups, a yolo layer whose input does not have mask x (5 + classes) channels, ...
  // `batchnorm_epsilon`: darknet's by default; kOpenCVBatchnormEpsilon computes what OpenCV's DNN computes.
  explicit DarknetModelImpl(DarknetCfg cfg, double batchnorm_epsilon = kDarknetBatchnormEpsilon);

  // x: (N, channels, H, W), RGB in [0, 1]; H and W the cfg's or any size the routes and shortcuts agree on (for
  // Yolo-Fastest, multiples of 32). Returns the raw input of each yolo layer in cfg order: (N, A*(5+C), H/s, W/s),
  // contiguous NCHW float. A tint::Error names the layer that cannot take this input. Not for concurrent calls on one
  // model (it caches the batchnorm folded into the convolutions).
  std::vector<torch::Tensor> forward(const torch::Tensor& x) const;

  const std::vector<YoloHead>& heads() const { return heads_; }
  const std::vector<int>& yolo_layers() const { return yolo_layers_; }  // the yolo layers' indices, in cfg order
  int input_width() const { return input_width_; }
  int input_height() const { return input_height_; }
  int input_channels() const { return input_channels_; }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  const std::vector<DarknetLayerInfo>& layers() const { return layers_; }
  // Layer i as forward() computes it (0 <= i < num_layers()).
  const DarknetLayerSpec& spec(int i) const { return *specs_.at(i); }
  // The convolution of layer i, or nullptr for another type.
  DarknetConv conv(int i) const;
  // The cfg the network was built from, kept in step with set_num_classes (for write_cfg next to save_weights).
  const DarknetCfg& cfg() const { return cfg_; }

  // Makes every yolo head predict `num_classes` classes: the convolution before each yolo layer gets
  // A*(5 + num_classes) filters; each anchor's tx, ty, tw, th and objectness rows (weights, bias or batchnorm
  // parameters) are kept, its class rows are new (LibTorch's default initialisation, from the global generator).
  // Throws if a yolo layer is not fed directly by a convolution. Parameters change: build optimizers afterwards.
  void set_num_classes(int num_classes);

  // ChannelsLast (the default: oneDNN's native layout) or Contiguous. Yolo-Fastest 1.1 at 320 x 320 on one thread,
  // channels-last vs NCHW: forward 5.8 vs 9.6 ms at batch 1, 113 vs 398 ms at batch 16; forward + backward in
  // train mode 650 vs 843 ms at batch 16 (1.1-xl: 11.6 vs 14.7, 181 vs 383, 1043 vs 1681 ms). DISABLED_ForwardTimings
  // in tests/detect/test_darknet_model.cpp measures them.
  void set_memory_format(torch::MemoryFormat format);
  torch::MemoryFormat memory_format() const { return format_; }

 private:
  torch::Tensor run_layer(int i, const std::vector<torch::Tensor>& outputs, const torch::Tensor& x) const;

  DarknetCfg cfg_;
  int input_width_ = 0, input_height_ = 0, input_channels_ = 0;
  std::vector<DarknetLayerInfo> layers_;
  std::vector<std::shared_ptr<DarknetLayerSpec>> specs_;  // what run_layer computes
  std::vector<int> last_use_;                             // per layer: the last layer reading its output
  std::vector<YoloHead> heads_;
  std::vector<int> yolo_layers_;
  std::shared_ptr<torch::nn::Module> convs_;  // registered as "layers": its children are named by layer index
  torch::MemoryFormat format_ = torch::MemoryFormat::ChannelsLast;
};
TORCH_MODULE(DarknetModel);

// read_cfg + DarknetModel.
DarknetModel build_darknet_model(const std::filesystem::path& cfg_path,
                                 double batchnorm_epsilon = kDarknetBatchnormEpsilon);

// The darknet layer index a parameter name says ("layers.12.bn.weight" -> 12), or -1 for a name without one.
int layer_index_of(const std::string& parameter_name);

// Freezes (requires_grad = false) every parameter of layers 0 .. n-1, found by name as the source did; the others
// are made trainable. Returns the names frozen. Batchnorm running statistics are buffers, not parameters: they keep
// updating in train mode unless the caller puts those layers in eval mode.
std::vector<std::string> freeze_layers(DarknetModelImpl& model, int n);

}  // namespace tint::detect
