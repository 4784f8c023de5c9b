// DarknetModel: every layer type against a direct loop-by-loop transcription of darknet's forward functions (in
// double), the heads and parameter names of the real Yolo-Fastest cfgs, set_num_classes, freezing by name, and the
// errors a cfg the network cannot be built from gives. (tests/detect/test_darknet_opencv.cpp compares whole real
// networks with OpenCV.)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/darknet_weights.h"

namespace tint::detect {
namespace darknet_model_test {
namespace {
namespace fs = std::filesystem;

// Every layer type and the odd cases: maxpool with an odd total padding (darknet's default size - 1 for size 2) and
// an even one, a depthwise convolution, route groups over two inputs, nearest upsampling, a shortcut with swish, a
// convolution without padding and with darknet's default activation (logistic), two yolo heads.
const char* kSmallCfg = R"([net]
width=8
height=6
channels=2

[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=4
groups=4
size=3
pad=1
activation=mish

[route]
layers=-1,1
groups=2
group_id=1

[upsample]
stride=2

[shortcut]
from=0
activation=swish

[dropout]
probability=0.5

[convolutional]
filters=12
size=1
activation=linear

[yolo]
mask=0,1
anchors=1,2, 3,4, 5,6
classes=1
num=3

[route]
layers=5

[maxpool]
size=3
stride=1

[convolutional]
batch_normalize=1
filters=6
size=3
stride=2

[convolutional]
filters=6
size=1
activation=relu

[yolo]
mask=2
anchors=1,2, 3,4, 5,6
classes=1
num=3
scale_x_y=1.05
)";

DarknetModel small_model() {
  torch::manual_seed(7);
  DarknetModel model(parse_cfg(kSmallCfg, "small.cfg"));
  // Batchnorm statistics and scales away from their identity defaults, so that the check sees them.
  torch::NoGradGuard no_grad;
  for (int i : {0, 11}) {
    auto bn = model->conv(i)->bn;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
    bn->running_mean.uniform_(-0.3, 0.3);
    bn->running_var.uniform_(0.2, 2.0);
  }
  model->eval();
  return model;
}

// ---- darknet's forward functions, transcribed loop by loop, on (C, H, W) double tensors of one image ----

torch::Tensor ref_conv(const torch::Tensor& x, const DarknetConv& layer) {
  const auto w = layer->conv->weight.to(torch::kDouble).contiguous();
  const int64_t c = x.size(0), h = x.size(1), wd = x.size(2), f = w.size(0), k = layer->size, s = layer->stride,
                p = layer->padding, g = layer->groups;
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1, cpg = c / g, fpg = f / g;
  auto out = torch::zeros({f, oh, ow}, torch::kDouble);
  auto X = x.accessor<double, 3>();
  auto W = w.accessor<double, 4>();
  auto O = out.accessor<double, 3>();
  for (int64_t o = 0; o < f; ++o)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double sum = 0;
        for (int64_t cc = 0; cc < cpg; ++cc)
          for (int64_t u = 0; u < k; ++u)
            for (int64_t v = 0; v < k; ++v) {
              const int64_t yy = i * s - p + u, xx = j * s - p + v;
              if (yy >= 0 && yy < h && xx >= 0 && xx < wd) sum += W[o][cc][u][v] * X[(o / fpg) * cpg + cc][yy][xx];
            }
        O[o][i][j] = sum;
      }
  if (layer->bn) {
    // normalize_cpu, scale_bias, add_bias: (x - mean) / sqrt(var + .00001), * scale, + bias.
    const auto d = [](const torch::Tensor& t) { return t.to(torch::kDouble).view({-1, 1, 1}); };
    out = (out - d(layer->bn->running_mean)) / torch::sqrt(d(layer->bn->running_var) + 0.00001) * d(layer->bn->weight) +
          d(layer->bn->bias);
  } else {
    out = out + layer->conv->bias.to(torch::kDouble).view({-1, 1, 1});
  }
  return out;
}

double ref_activate(double x, Activation a) {
  switch (a) {
    case Activation::leaky:
      return x > 0 ? x : 0.1 * x;
    case Activation::linear:
      return x;
    case Activation::relu:
      return x > 0 ? x : 0;
    case Activation::logistic:
      return 1 / (1 + std::exp(-x));
    case Activation::mish:
      return x * std::tanh(std::log1p(std::exp(x)));
    case Activation::swish:
      return x / (1 + std::exp(-x));
  }
  return x;
}

torch::Tensor ref_activate(torch::Tensor x, Activation a) {
  x = x.contiguous().clone();
  auto* p = x.data_ptr<double>();
  for (int64_t n = 0; n < x.numel(); ++n) p[n] = ref_activate(p[n], a);
  return x;
}

// forward_maxpool_layer: offsets -pad/2, output (h + pad - size) / stride + 1, out-of-image cells -FLT_MAX.
torch::Tensor ref_maxpool(const torch::Tensor& x, int size, int stride, int pad) {
  const int64_t c = x.size(0), h = x.size(1), w = x.size(2);
  const int64_t oh = (h + pad - size) / stride + 1, ow = (w + pad - size) / stride + 1;
  auto out = torch::empty({c, oh, ow}, torch::kDouble);
  auto X = x.accessor<double, 3>();
  auto O = out.accessor<double, 3>();
  for (int64_t k = 0; k < c; ++k)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double m = -3.4e38;
        for (int n = 0; n < size; ++n)
          for (int mm = 0; mm < size; ++mm) {
            const int64_t yy = -pad / 2 + i * stride + n, xx = -pad / 2 + j * stride + mm;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) m = std::max(m, X[k][yy][xx]);
          }
        O[k][i][j] = m;
      }
  return out;
}

torch::Tensor ref_upsample(const torch::Tensor& x, int s) {
  auto out = torch::empty({x.size(0), x.size(1) * s, x.size(2) * s}, torch::kDouble);
  auto X = x.accessor<double, 3>();
  auto O = out.accessor<double, 3>();
  for (int64_t k = 0; k < out.size(0); ++k)
    for (int64_t i = 0; i < out.size(1); ++i)
      for (int64_t j = 0; j < out.size(2); ++j) O[k][i][j] = X[k][i / s][j / s];
  return out;
}

// forward_route_layer: from each input, the group_id-th of `groups` equal parts of its (C, H, W) values.
torch::Tensor ref_route(const std::vector<torch::Tensor>& inputs, int groups, int group_id) {
  std::vector<double> values;
  for (const auto& t : inputs) {
    const auto flat = t.contiguous().view(-1);
    const int64_t part = flat.numel() / groups;
    for (int64_t n = 0; n < part; ++n) values.push_back(flat[part * group_id + n].item<double>());
  }
  int64_t c = 0;
  for (const auto& t : inputs) c += t.size(0) / groups;
  return torch::tensor(values, torch::kDouble).view({c, inputs[0].size(1), inputs[0].size(2)});
}

// The small cfg's two head inputs for one image (C, H, W), layer by layer as the cfg says.
std::vector<torch::Tensor> ref_small_heads(DarknetModel& m, const torch::Tensor& image) {
  const auto x = image.to(torch::kDouble);
  const auto l0 = ref_activate(ref_conv(x, m->conv(0)), Activation::leaky);
  const auto l1 = ref_maxpool(l0, 2, 2, 1);
  const auto l2 = ref_activate(ref_conv(l1, m->conv(2)), Activation::mish);
  const auto l3 = ref_route({l2, l1}, 2, 1);
  const auto l4 = ref_upsample(l3, 2);
  const auto l5 = ref_activate(l4 + l0, Activation::swish);
  const auto l7 = ref_conv(l5, m->conv(7));   // the dropout (6) passes its input on at inference
  const auto l10 = ref_maxpool(l5, 3, 1, 2);  // the route (9) to layer 5
  const auto l11 = ref_activate(ref_conv(l10, m->conv(11)), Activation::logistic);
  const auto l12 = ref_activate(ref_conv(l11, m->conv(12)), Activation::relu);
  return {l7, l12};
}

TEST(DarknetModel, EveryLayerTypeComputesAsDarknet) {
  auto model = small_model();
  ASSERT_EQ(model->layers()[1].out_height, 3);  // (6 + 1 - 2) / 2 + 1: darknet's, not LibTorch's floor mode
  ASSERT_EQ(model->layers()[1].out_width, 4);
  ASSERT_EQ(model->layers()[11].out_height, 2);  // (6 - 3) / 2 + 1 without padding
  const auto x = torch::rand({2, 2, 6, 8});
  for (auto format : {torch::MemoryFormat::ChannelsLast, torch::MemoryFormat::Contiguous}) {
    model->set_memory_format(format);
    torch::NoGradGuard no_grad;
    const auto heads = model->forward(x);
    ASSERT_EQ(heads.size(), 2u);
    EXPECT_EQ(heads[0].sizes(), (std::vector<int64_t>{2, 12, 6, 8}));
    EXPECT_EQ(heads[1].sizes(), (std::vector<int64_t>{2, 6, 2, 3}));
    EXPECT_TRUE(heads[0].is_contiguous());
    for (int64_t n = 0; n < 2; ++n) {
      const auto want = ref_small_heads(model, x[n]);
      EXPECT_LT(test::max_error(heads[0][n], want[0]), 1e-5);
      EXPECT_LT(test::max_error(heads[1][n], want[1]), 1e-5);
    }
  }
}

// yolov3-tiny's 12th layer: [maxpool] size=2 stride=1 keeps the size, darknet padding the one extra row and column
// after the map (padding = size - 1 = 1, of which 1 / 2 = 0 before). Hand-worked on one 3 x 3 channel: each output is
// the max of its cell, the one to the right, below and below right, where they exist.
TEST(DarknetModel, MaxpoolOfStrideOneKeepsTheSizeAndPadsAfter) {
  DarknetModel model(parse_cfg(R"([net]
width=3
height=3
channels=1

[maxpool]
size=2
stride=1

[convolutional]
filters=6
size=1
activation=linear

[yolo]
mask=0
anchors=1,1
classes=1
num=1
)",
                               "pool.cfg"));
  ASSERT_EQ(model->layers()[0].out_height, 3);
  ASSERT_EQ(model->layers()[0].out_width, 3);
  // The 1x1 convolution's first output channel copies its input, so the head shows the pooled map.
  {
    torch::NoGradGuard no_grad;
    auto conv = model->conv(1)->conv;
    conv->weight.zero_();
    conv->weight[0][0][0][0] = 1;
    conv->bias.zero_();
  }
  model->eval();
  const auto x = torch::tensor({1.f, 5.f, 2.f, 4.f, -3.f, 0.f, -1.f, 7.f, -2.f}).view({1, 1, 3, 3});
  torch::NoGradGuard no_grad;
  const auto pooled = model->forward(x)[0][0][0];
  const auto want = torch::tensor({5.f, 5.f, 2.f, 7.f, 7.f, 0.f, 7.f, 7.f, -2.f}).view({3, 3});
  EXPECT_TRUE(torch::equal(pooled, want)) << pooled;
  EXPECT_TRUE(torch::equal(pooled.to(torch::kDouble), ref_maxpool(x[0].to(torch::kDouble), 2, 1, 1)[0]));
}

TEST(DarknetModel, FoldedBatchnormMatchesTheSeparateOne) {
  auto model = small_model();
  const auto x = torch::rand({2, 2, 6, 8});
  std::vector<torch::Tensor> folded;
  {
    torch::NoGradGuard no_grad;
    folded = model->forward(x);
  }
  const auto separate = model->forward(x);  // recording gradients: convolution, then batchnorm
  ASSERT_TRUE(separate[1].requires_grad());
  EXPECT_LT(test::max_error(folded[1], separate[1]), 1e-5);
  EXPECT_LT(test::max_error(folded[0], separate[0]), 1e-5);
  // The fold follows new values: a changed running mean is seen on the next call.
  {
    torch::NoGradGuard no_grad;
    model->conv(0)->bn->running_mean.add_(0.25);
    const auto after = model->forward(x);
    EXPECT_GT(test::max_error(after[0], folded[0]), 1e-3);
    const auto want = ref_small_heads(model, x[0]);
    EXPECT_LT(test::max_error(after[0][0], want[0]), 1e-5);
  }
}

TEST(DarknetModel, BatchnormIsDarknets) {
  auto model = small_model();
  const auto& o = model->conv(0)->bn->options;
  EXPECT_DOUBLE_EQ(o.eps(), 1e-5);               // blas.c normalize_cpu: sqrt(variance + .00001f)
  EXPECT_DOUBLE_EQ(o.momentum().value(), 0.01);  // rolling = .99 rolling + .01 batch statistics
}

TEST(DarknetModel, TrainingModeRunsDropoutAndBatchStatistics) {
  auto model = small_model();
  model->train();
  torch::manual_seed(1);
  const auto x = torch::rand({4, 2, 6, 8});
  const auto a = model->forward(x);
  const auto b = model->forward(x);
  EXPECT_GT(test::max_error(a[0], b[0]), 1e-4);  // dropout differs between calls
  const auto loss = a[0].sum() + a[1].sum();
  loss.backward();
  EXPECT_TRUE(model->conv(0)->conv->weight.grad().defined());
}

TEST(DarknetModel, HeadsComeFromTheCfg) {
  auto model = small_model();
  ASSERT_EQ(model->heads().size(), 2u);
  EXPECT_EQ(model->yolo_layers(), (std::vector<int>{8, 13}));
  const auto& h0 = model->heads()[0];
  EXPECT_EQ(h0.mask, (std::vector<int>{0, 1}));
  EXPECT_EQ(h0.anchors, (std::vector<std::array<float, 2>>{{1, 2}, {3, 4}}));
  EXPECT_EQ(h0.all_anchors, (std::vector<std::array<float, 2>>{{1, 2}, {3, 4}, {5, 6}}));
  EXPECT_EQ(h0.num_classes, 1);
  EXPECT_FLOAT_EQ(h0.scale_x_y, 1.0f);
  const auto& h1 = model->heads()[1];
  EXPECT_EQ(h1.anchors, (std::vector<std::array<float, 2>>{{5, 6}}));
  EXPECT_FLOAT_EQ(h1.scale_x_y, 1.05f);
  // Darknet's defaults for what the cfg leaves out (parse_yolo).
  EXPECT_FLOAT_EQ(h1.ignore_thresh, 0.5f);
  EXPECT_FLOAT_EQ(h1.truth_thresh, 1.0f);
  EXPECT_FLOAT_EQ(h1.iou_thresh, 1.0f);
  EXPECT_FLOAT_EQ(h1.iou_normalizer, 0.75f);
  EXPECT_FLOAT_EQ(h1.obj_normalizer, 1.0f);
  EXPECT_FLOAT_EQ(h1.cls_normalizer, 1.0f);
  EXPECT_EQ(h1.iou_loss, "mse");
  EXPECT_EQ(model->input_width(), 8);
  EXPECT_EQ(model->input_height(), 6);
  EXPECT_EQ(model->input_channels(), 2);
}

// Both Yolo-Fastest models: the same layers, heads and anchors; `floats` values in the weights file, from its size:
// (size - 20) / 4 (README of the detection data).
void expect_yolo_fastest_model(const fs::path& cfg, int64_t floats) {
  DarknetModel model = build_darknet_model(cfg);
  EXPECT_EQ(model->input_width(), 320);
  EXPECT_EQ(model->input_height(), 320);
  EXPECT_EQ(model->input_channels(), 3);
  EXPECT_EQ(model->num_layers(), 131);
  EXPECT_EQ(model->yolo_layers(), (std::vector<int>{121, 130}));
  ASSERT_EQ(model->heads().size(), 2u);
  const std::vector<std::array<float, 2>> all = {{12, 18}, {37, 49}, {52, 132}, {115, 73}, {119, 199}, {242, 238}};
  const auto& big = model->heads()[0];  // mask = 3,4,5 on the 10x10 grid
  EXPECT_EQ(big.mask, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(big.all_anchors, all);
  EXPECT_EQ(big.anchors, (std::vector<std::array<float, 2>>{{115, 73}, {119, 199}, {242, 238}}));
  EXPECT_EQ(model->heads()[1].mask, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(model->heads()[1].anchors, (std::vector<std::array<float, 2>>{{12, 18}, {37, 49}, {52, 132}}));
  for (const auto& h : model->heads()) {
    EXPECT_EQ(h.num_classes, 80);
    EXPECT_FLOAT_EQ(h.scale_x_y, 1.0f);
    EXPECT_FLOAT_EQ(h.ignore_thresh, 0.5f);
    EXPECT_FLOAT_EQ(h.truth_thresh, 1.0f);
    EXPECT_FLOAT_EQ(h.iou_thresh, 0.213f);
    EXPECT_FLOAT_EQ(h.iou_normalizer, 0.07f);
    EXPECT_FLOAT_EQ(h.cls_normalizer, 1.0f);
    EXPECT_FLOAT_EQ(h.obj_normalizer, 1.0f);
    EXPECT_EQ(h.iou_loss, "ciou");
  }
  // Every value of the weights file is a parameter or a batchnorm statistic named for its layer.
  int64_t count = 0;
  for (const auto& p : model->named_parameters()) {
    EXPECT_GE(layer_index_of(p.key()), 0) << p.key();
    count += p.value().numel();
  }
  for (const auto& b : model->named_buffers())
    if (b.key().find("running_") != std::string::npos) count += b.value().numel();
  EXPECT_EQ(count, floats);
  const auto params = model->named_parameters();
  EXPECT_TRUE(params.contains("layers.0.conv.weight"));
  EXPECT_TRUE(params.contains("layers.0.bn.weight"));
  EXPECT_FALSE(params.contains("layers.0.conv.bias"));   // batchnorm's beta is the bias
  EXPECT_TRUE(params.contains("layers.129.conv.bias"));  // the head convolution has its own
  EXPECT_TRUE(model->named_buffers().contains("layers.3.bn.running_mean"));
  EXPECT_FALSE(params.contains("layers.7.conv.weight"));  // a dropout
  torch::NoGradGuard no_grad;
  model->eval();
  const auto raw = model->forward(torch::rand({2, 3, 320, 320}));
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0].sizes(), (std::vector<int64_t>{2, 255, 10, 10}));
  EXPECT_EQ(raw[1].sizes(), (std::vector<int64_t>{2, 255, 20, 20}));
}

TEST(DarknetModel, YoloFastestHeadsAndParameterNames) {
  expect_yolo_fastest_model(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg", 346062);
}

TEST(DarknetModel, YoloFastestXlHeadsAndParameterNames) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg");
  expect_yolo_fastest_model(data / "yolo-fastest-1.1" / "yolo-fastest-1.1-xl.cfg", 923486);
}

TEST(DarknetModel, LayerIndexOfAParameterName) {
  EXPECT_EQ(layer_index_of("layers.12.bn.weight"), 12);
  EXPECT_EQ(layer_index_of("layers.0.conv.weight"), 0);
  EXPECT_EQ(layer_index_of("layers.x.conv.weight"), -1);
  EXPECT_EQ(layer_index_of("layers..conv"), -1);
  EXPECT_EQ(layer_index_of("head.weight"), -1);
  EXPECT_EQ(layer_index_of("layers.12"), -1);
}

TEST(DarknetModel, FreezesTheFirstNLayersByName) {
  auto model = small_model();
  const auto frozen = freeze_layers(*model, 8);
  // Layers 0 (conv + bn), 2 (conv with bias), 7 (conv with bias) are below 8; 11 and 12 are not.
  EXPECT_EQ(frozen, (std::vector<std::string>{"layers.0.conv.weight", "layers.0.bn.weight", "layers.0.bn.bias",
                                              "layers.2.conv.weight", "layers.2.conv.bias", "layers.7.conv.weight",
                                              "layers.7.conv.bias"}));
  for (const auto& p : model->named_parameters())
    EXPECT_EQ(p.value().requires_grad(), layer_index_of(p.key()) >= 8) << p.key();
  // A gradient reaches only the trainable ones.
  model->train();
  const auto heads = model->forward(torch::rand({2, 2, 6, 8}));
  (heads[0].sum() + heads[1].sum()).backward();
  EXPECT_FALSE(model->conv(0)->conv->weight.grad().defined());
  EXPECT_TRUE(model->conv(11)->conv->weight.grad().defined());
  // Freezing fewer layers unfreezes the rest.
  freeze_layers(*model, 0);
  for (const auto& p : model->named_parameters()) EXPECT_TRUE(p.value().requires_grad()) << p.key();
}

TEST(DarknetModel, SetNumClassesKeepsBoxAndObjectnessRows) {
  auto model = small_model();
  const auto x = torch::rand({2, 2, 6, 8});
  std::vector<torch::Tensor> before;
  {
    torch::NoGradGuard no_grad;
    before = model->forward(x);
  }
  model->set_num_classes(3);
  EXPECT_EQ(model->heads()[0].num_classes, 3);
  EXPECT_EQ(model->heads()[1].num_classes, 3);
  EXPECT_EQ(model->cfg().layer(7).get_int("filters", 0), 2 * 8);
  EXPECT_EQ(model->cfg().layer(8).get_int("classes", 0), 3);
  EXPECT_EQ(model->cfg().layer(12).get_int("filters", 0), 8);
  EXPECT_EQ(model->named_parameters()["layers.7.conv.weight"].size(0), 16);
  torch::NoGradGuard no_grad;
  const auto after = model->forward(x);
  ASSERT_EQ(after[0].sizes(), (std::vector<int64_t>{2, 16, 6, 8}));
  ASSERT_EQ(after[1].sizes(), (std::vector<int64_t>{2, 8, 2, 3}));
  // Anchor a's rows tx..obj: old rows a*6 .. a*6+4, new rows a*8 .. a*8+4.
  for (int a = 0; a < 2; ++a)
    EXPECT_LT(test::max_error(after[0].narrow(1, a * 8, 5), before[0].narrow(1, a * 6, 5)), 1e-6) << a;
  EXPECT_LT(test::max_error(after[1].narrow(1, 0, 5), before[1].narrow(1, 0, 5)), 1e-6);
  // And the new class rows are new: not the old class row copied.
  EXPECT_GT(test::max_error(after[0].narrow(1, 5, 1), before[0].narrow(1, 5, 1)), 1e-4);
  // Still a network darknet can read back: the cfg it keeps builds the same shapes.
  DarknetModel rebuilt(model->cfg());
  EXPECT_EQ(rebuilt->forward(x)[0].sizes(), after[0].sizes());
}

TEST(DarknetModel, SetNumClassesOnYoloFastestKeepsTheBoxRowsOfTheRealHead) {
  torch::manual_seed(3);
  DarknetModel model = build_darknet_model(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
  const auto w_before = model->conv(120)->conv->weight.clone();
  const auto b_before = model->conv(120)->conv->bias.clone();
  model->set_num_classes(1);
  const auto w = model->conv(120)->conv->weight;
  const auto b = model->conv(120)->conv->bias;
  ASSERT_EQ(w.size(0), 18);
  for (int a = 0; a < 3; ++a) {
    EXPECT_TRUE(w.narrow(0, a * 6, 5).equal(w_before.narrow(0, a * 85, 5))) << a;
    EXPECT_TRUE(b.narrow(0, a * 6, 5).equal(b_before.narrow(0, a * 85, 5))) << a;
  }
  EXPECT_EQ(model->conv(129)->conv->weight.size(0), 18);
}

TEST(DarknetModel, SetNumClassesRefusesAHeadNotFedByAConvolution) {
  const auto cfg = parse_cfg(
      "[net]\nwidth=4\nheight=4\nchannels=1\n[convolutional]\nfilters=6\nactivation=linear\n[maxpool]\nsize=1\n"
      "[yolo]\nmask=0\nanchors=1,1\nclasses=1\nnum=1\n",
      "pool_head.cfg");
  DarknetModel model(cfg);
  const auto e = test::error_of([&] { model->set_num_classes(2); });
  EXPECT_NE(e.find("pool_head.cfg:10: layer 2 [yolo]"), std::string::npos) << e;
  EXPECT_NE(e.find("layer 1 before it is a [maxpool]"), std::string::npos) << e;
}

std::string build_error(const std::string& layers) {
  return test::error_of(
      [&] { DarknetModel m(parse_cfg("[net]\nwidth=8\nheight=8\nchannels=3\n" + layers, "bad.cfg")); });
}

TEST(DarknetModel, CfgsItCannotBuildNameFileLineLayerAndWhatWasExpected) {
  // Line numbers: [net] and its three options take lines 1-4.
  auto e = build_error(
      "[convolutional]\nfilters=10\nactivation=linear\n[yolo]\nmask=0,1\nanchors=1,1,2,2,3,3\n"
      "classes=1\nnum=3\n");
  EXPECT_EQ(e,
            "bad.cfg:8: layer 1 [yolo]: its input (layer 0) has 10 channels: expected 12 = 2 anchors (mask) x "
            "(5 + 1 classes); set filters=12 in layer 0");
  e = build_error("[convolutional]\nfilters=4\n[route]\nlayers=-3\n");
  EXPECT_EQ(e,
            "bad.cfg:8: layer 1 [route]: option 'layers': -3 refers to layer -2: expected an earlier layer (0 to 0)");
  e = build_error("[convolutional]\nfilters=4\ngroups=2\n");
  EXPECT_EQ(e,
            "bad.cfg:7: layer 0 [convolutional]: option 'groups': 2 groups must divide the 3 input channels and "
            "the 4 filters");
  e = build_error("[convolutional]\nfilters=4\nstride=2\n[convolutional]\nfilters=4\n[shortcut]\nfrom=-3\n");
  EXPECT_NE(e.find("bad.cfg:11: layer 2 [shortcut]: option 'from': -3 refers to layer -1"), std::string::npos) << e;
  // Absolute and relative indices to the same layer both build (up to the missing yolo layer).
  e = build_error(
      "[convolutional]\nfilters=4\nstride=2\n[convolutional]\nfilters=4\n[shortcut]\nfrom=0\n"
      "[convolutional]\nfilters=4\n[shortcut]\nfrom=-4\n");
  EXPECT_EQ(e, "bad.cfg: the network has no [yolo] layer");
  e = build_error("[convolutional]\nfilters=4\n[maxpool]\nsize=2\nstride=2\n[shortcut]\nfrom=0\n");
  EXPECT_EQ(e,
            "bad.cfg:11: layer 2 [shortcut]: option 'from': layer 0 outputs 4x8x8 (c x h x w), the previous "
            "layer 4x4x4: expected the same shape");
  e = build_error("[maxpool]\nsize=2\npadding=2\n");
  EXPECT_EQ(e, "bad.cfg:7: layer 0 [maxpool]: option 'padding': expected 0 to 1 (size - 1, darknet's default), got 2");
  e = build_error("[convolutional]\nfilters=0\n");
  EXPECT_EQ(e, "bad.cfg:6: layer 0 [convolutional]: option 'filters': expected at least 1, got 0");
  e = build_error("[convolutional]\nfilters=4\nsize=11\n");
  EXPECT_NE(e.find("bad.cfg:7: layer 0 [convolutional]: option 'size': a 11x11 kernel does not fit"), std::string::npos)
      << e;
  e = build_error("[route]\nlayers=-1\n");
  EXPECT_NE(e.find("bad.cfg:6: layer 0 [route]: option 'layers': -1 refers to layer -1"), std::string::npos) << e;
  e = build_error("[convolutional]\nfilters=6\n[yolo]\nmask=0\nanchors=1,1,2\nclasses=1\nnum=2\n");
  EXPECT_EQ(e, "bad.cfg:9: layer 1 [yolo]: option 'anchors': expected num=2 (w, h) pairs, 4 numbers, got 3");
  e = build_error("[convolutional]\nfilters=6\n[yolo]\nmask=2\nanchors=1,1\nclasses=1\nnum=1\n");
  EXPECT_EQ(e, "bad.cfg:8: layer 1 [yolo]: option 'mask': anchor index 2 is out of range: expected 0 to 0");
  e = build_error("[convolutional]\nfilters=6\n[yolo]\nmask=0\nanchors=1,1\nclasses=1\nnum=1\n[convolutional]\n");
  EXPECT_NE(e.find("bad.cfg:12: layer 2 [convolutional]: reads the output of yolo layer 1"), std::string::npos) << e;
  e = build_error("[convolutional]\nfilters=6\n");
  EXPECT_EQ(e, "bad.cfg: the network has no [yolo] layer");
  e = build_error("[convolutional]\nfilters=6\n[route]\nlayers=0\ngroups=4\n");
  EXPECT_EQ(e, "bad.cfg:9: layer 1 [route]: option 'groups': 4 groups must divide the 6 channels of layer 0");
  e = test::error_of([] { DarknetModel m(parse_cfg("[net]\nheight=8\nchannels=3\n[dropout]\n", "w.cfg")); });
  EXPECT_EQ(e, "w.cfg:1: [net]: option 'width' (an integer) is required");
}

TEST(DarknetModel, SizesNoRealCfgReachesAreRefusedBeforeAllocating) {
  auto e = test::error_of([] { DarknetModel m(parse_cfg("[net]\nwidth=70000\nheight=8\nchannels=3\n", "big.cfg")); });
  EXPECT_EQ(e,
            "big.cfg:1: [net]: an input of 70000x8x3 (w x h x c): expected at most 65536 pixels a side and 1048576 "
            "channels");
  e = build_error("[convolutional]\nfilters=100000000\nsize=3\npad=1\n");
  EXPECT_EQ(e,
            "bad.cfg:5: layer 0 [convolutional]: 100000000 filters of 3x3x3 weights are 2.7e+09 values: expected at "
            "most 2.68e+08 per layer");
  e = build_error("[convolutional]\nfilters=4\n[upsample]\nstride=100000\n");
  EXPECT_NE(e.find("bad.cfg:7: layer 1 [upsample]: its output would be 4x800000x800000"), std::string::npos) << e;
  e = build_error("[convolutional]\nfilters=6\n[yolo]\nmask=0\nanchors=1,1\nclasses=1000000\nnum=1\n");
  EXPECT_EQ(e, "bad.cfg:10: layer 1 [yolo]: option 'classes': expected at most 65536 classes, got 1000000");
}

// Found by fuzz/fuzz_darknet.cpp: layers each under the per-layer bound can still add up to gigabytes (a 292-byte cfg
// asked for 5 GiB); the whole network's weights are bounded too, before allocating. Here layer 1 alone is exactly at
// the per-layer bound (16384 x 16384 = 2^28) and the 49,152 weights before it push the total over.
TEST(DarknetModel, ANetworkOfManyLargeLayersIsRefusedBeforeAllocating) {
  const auto e = test::error_of([&] {
    DarknetModel m(
        parse_cfg("[net]\nwidth=1\nheight=1\nchannels=3\n[convolutional]\nfilters=16384\nsize=1\n"
                  "[convolutional]\nfilters=16384\nsize=1\n",
                  "big.cfg"));
  });
  EXPECT_EQ(e,
            "big.cfg:8: layer 1 [convolutional]: the network reaches 268484608 weights here: expected at most "
            "268435456 in all");
}

// Mutated real cfgs (a number replaced by an extreme one, a line dropped): each builds and runs, or is a tint::Error;
// never another exception or a crash.
TEST(DarknetModel, MutatedCfgsBuildOrFailCleanly) {
  const auto text = read_file(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  const std::vector<std::string> extremes = {"-1",         "0",           "1",           "2",   "3", "-7", "200",
                                             "2147483647", "-2147483648", "99999999999", "1.5", "x", ""};
  std::mt19937 rng(16);
  int built = 0, refused = 0;
  for (int trial = 0; trial < 150; ++trial) {
    auto mutated = lines;
    const size_t at = rng() % mutated.size();
    const auto eq = mutated[at].find('=');
    if (trial % 5 == 4 || eq == std::string::npos) {
      mutated.erase(mutated.begin() + static_cast<long>(at));
    } else {
      mutated[at] = mutated[at].substr(0, eq + 1) + extremes[rng() % extremes.size()];
    }
    std::string cfg_text;
    for (const auto& l : mutated) cfg_text += l + "\n";
    try {
      DarknetModel model(parse_cfg(cfg_text, "mutated.cfg"));
      model->eval();
      torch::NoGradGuard no_grad;
      model->forward(torch::rand({1, 3, 64, 64}));
      ++built;
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("mutated.cfg", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(built, 10);
  EXPECT_GT(refused, 10);
}

TEST(DarknetModel, RefusesAnInputOfTheWrongShape) {
  auto model = small_model();
  const auto e = test::error_of([&] { model->forward(torch::rand({1, 3, 6, 8})); });
  EXPECT_EQ(e, "small.cfg: expected an input (N, 2, H, W), got [1, 3, 6, 8]");
  // A size whose routes disagree is named too: 7 rows pool to 4 and upsample to 8, the shortcut's other input has 7.
  const auto odd = test::error_of([&] { model->forward(torch::rand({1, 2, 7, 8})); });
  EXPECT_EQ(odd,
            "small.cfg: layer 5 [shortcut]: layer 0 gives 4x7x8 and the previous layer 4x8x8 (c x h x w) for "
            "this input size: expected the same");
  // Whatever else LibTorch refuses is named with its layer: here a 3x3 kernel without padding on 2x2 cells.
  const auto tiny = test::error_of([&] { model->forward(torch::rand({1, 2, 2, 2})); });
  EXPECT_NE(tiny.find("small.cfg: layer 11 [convolutional]: "), std::string::npos) << tiny;
}

// Forward timings (not a check, so not run by default), at LibTorch's thread count (OMP_NUM_THREADS), channels-last
// and NCHW models run in turns so that a busy machine slows both alike:
//   tint_test_detect --gtest_also_run_disabled_tests --gtest_filter='*ForwardTimings*'
// Bad input in the tiny models' files is one line naming the file and what is wrong: a route's group_id past its
// groups (yolov4-tiny's first CSP split, line 61, layer 3), a weights file one value short (the last layer that has
// weights, with the expected and actual sizes).
TEST(DarknetModel, TinyYoloFilesWithBadValuesAreOneLineErrors) {
  std::string text = read_file(test::embedded_darknet_cfg("yolov4-tiny"));
  const auto at = text.find("group_id=1");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 10, "group_id=2");
  const std::string bad = test::error_of([&] { DarknetModel(parse_cfg(text, "yolov4-tiny.cfg")); });
  EXPECT_EQ(bad, "yolov4-tiny.cfg:61: layer 3 [route]: option 'group_id': expected 0 to 1 (groups=2), got 2");
  test::TempDir tmp;
  for (const std::string name : {"yolov4-tiny", "yolov3-tiny"}) {
    SCOPED_TRACE(name);
    auto model = build_darknet_model(test::embedded_darknet_cfg(name));
    const auto file = tmp / (name + ".weights");
    const std::string full = encode_weights(*model, WeightsHeader{});
    write_file_atomic(file, std::string_view(full).substr(0, full.size() - 4));
    const std::string error = test::error_of([&] { load_weights(*model, file); });
    EXPECT_EQ(error.find(file.string()), 0u) << error;
    EXPECT_NE(error.find(std::to_string(full.size())), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(DarknetModel, DISABLED_ForwardTimings) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg");
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  const auto report = [](const std::string& what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    std::printf("%s: median %.1f ms, min %.1f ms (%d threads)\n", what.c_str(), ms[ms.size() / 2], ms.front(),
                torch::get_num_threads());
  };
  for (const std::string name : {"yolo-fastest-1.1", "yolo-fastest-1.1-xl"}) {
    const auto cfg = data / "yolo-fastest-1.1" / (name + ".cfg");
    std::vector<DarknetModel> models = {build_darknet_model(cfg), build_darknet_model(cfg)};
    models[1]->set_memory_format(torch::MemoryFormat::Contiguous);
    const char* formats[] = {"channels-last", "NCHW"};
    for (int batch : {1, 16}) {
      const auto x = torch::rand({batch, 3, 320, 320});
      std::vector<double> ms[2];
      c10::InferenceMode guard;
      for (auto& m : models) {
        m->eval();
        m->forward(x);
        m->forward(x);
      }
      for (int k = 0; k < (batch == 1 ? 40 : 8); ++k)
        for (int f = 0; f < 2; ++f) {
          const auto t0 = Clock::now();
          models[f]->forward(x);
          ms[f].push_back(ms_since(t0));
        }
      for (int f = 0; f < 2; ++f) report(fmt::format("{} {} forward, batch {}", name, formats[f], batch), ms[f]);
    }
    // A training step's network part: forward in train mode and backward, batch 16.
    const auto x = torch::rand({16, 3, 320, 320});
    std::vector<double> ms[2];
    for (auto& m : models) m->train();
    for (int k = 0; k < 4; ++k)
      for (int f = 0; f < 2; ++f) {
        const auto t0 = Clock::now();
        const auto raw = models[f]->forward(x);
        (raw[0].sum() + raw[1].sum()).backward();
        if (k > 0) ms[f].push_back(ms_since(t0));
      }
    for (int f = 0; f < 2; ++f)
      report(fmt::format("{} {} forward + backward (train mode), batch 16", name, formats[f]), ms[f]);
  }
}

}  // namespace
}  // namespace darknet_model_test
}  // namespace tint::detect
