// Receptive fields: the analytic fields against fields measured through real LibTorch modules (every model's own
// forward(), kernels 3-5, units at the centre and at the borders, by gradients, or with max pooling by raising
// pixels; architecture strings with stride, dilation, pooling, upsampling and transposed convolutions, at every
// layer), and classic sizes derived by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/analysis/architecture.h"
#include "tint/analysis/model_graph.h"
#include "tint/analysis/receptive_field.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"

namespace tint::analysis {
namespace {

void expect_same(const UnitField& measured, const UnitField& analytic, const std::string& where) {
  EXPECT_EQ(measured.rows, analytic.rows) << where;
  EXPECT_EQ(measured.cols, analytic.cols) << where;
  EXPECT_EQ(measured.pixels, analytic.pixels) << where;
}

bool has_max_pool(const LayerGraph& g) {
  for (const auto& l : g.layers)
    if (l.kind == LayerKind::MaxPool) return true;
  return false;
}

// One test per model (kernels looped inside): each test is its own process under CTest.
class ModelFields : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelFields, AnalyticFieldsMatchGradients) {
  for (int kernel : {3, 4, 5}) {
    SCOPED_TRACE("kernel " + std::to_string(kernel));
    const models::ModelConfig config{kernel, 2, 3, 4, 1};
    auto net = models::make_model(GetParam(), config);
    const Shape input{2, 32, 32};
    const auto graph = describe_model(net, input);
    prepare_for_measurement(*net);
    const int last = static_cast<int>(graph.layers.size()) - 1;
    // Units at the centre, both corners and off-centre, so that padding splits and clipping are exercised.
    const std::vector<std::pair<int64_t, int64_t>> units{{16, 16}, {0, 0}, {31, 31}, {5, 26}, {17, 2}};
    for (auto [r, c] : units) {
      const auto analytic = unit_field(graph, last, r, c);
      const std::string where = GetParam() + " unit " + std::to_string(r) + "," + std::to_string(c);
      // Through the network's own forward(): by backpropagation, or with max pooling by raising pixels (a forward
      // pass per pixel of the field: at kernel 3 only, to keep the test short).
      const auto forward = [&](const torch::Tensor& x) { return net->forward(x); };
      if (!has_max_pool(graph)) {
        expect_same(measure_field(forward, input, 1, r, c), analytic, where);
      } else if (kernel == 3) {
        expect_same(measure_field_by_raising(forward, input, 1, r, c, analytic), analytic, where);
      }
      // Through the graph with max pooling as average pooling (same windows), which every model supports.
      expect_same(
          measure_field([&](const torch::Tensor& x) { return run_graph(graph, x, true).back(); }, input, 1, r, c),
          analytic, where + " (graph)");
    }
    // Inner layers too: the first unit past the centre of every block's output.
    for (int i = 1; i < last; ++i) {
      const Shape& s = graph.layers[i].out;
      const auto analytic = unit_field(graph, i, s.h / 2, s.w / 2);
      const auto measured = measure_field([&](const torch::Tensor& x) { return run_graph(graph, x, true)[i]; }, input,
                                          0, s.h / 2, s.w / 2);
      expect_same(measured, analytic, GetParam() + " layer " + graph.layers[i].name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelFields, ::testing::ValuesIn(models::model_names()), [](const auto& info) {
  std::string n = info.param;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

TEST(ModelFields, MaxPoolingIsMeasuredByRaisingPixels) {
  // Through max pooling only one input per window gets gradient, so backpropagation finds fewer pixels than can
  // affect the unit of pool-upsample; raising pixels finds them all, also when the candidates given are too few
  // (here none: every pixel is then raised at once, and one at a time).
  auto net = models::make_model("pool-upsample", {3, 1, 2, 2, 1});
  const Shape input{1, 32, 32};
  const auto graph = describe_model(net, input);
  prepare_for_measurement(*net);
  const auto forward = [&](const torch::Tensor& x) { return net->forward(x); };
  const auto analytic = unit_field(graph, static_cast<int>(graph.layers.size()) - 1, 16, 16);
  EXPECT_LT(measure_field(forward, input, 0, 16, 16).pixels, analytic.pixels);
  expect_same(measure_field_by_raising(forward, input, 0, 16, 16, analytic), analytic, "analytic candidates");
  expect_same(measure_field_by_raising(forward, input, 0, 16, 16, UnitField{}), analytic, "no candidates");
  UnitField inner;  // the middle of the field only
  for (int64_t i = 12; i < 20; ++i) inner.rows.push_back(i), inner.cols.push_back(i);
  expect_same(measure_field_by_raising(forward, input, 0, 16, 16, inner), analytic, "inner candidates");
  // The unit of the average-pooling stand-in the graph runs, by gradient, has the same field.
  expect_same(measure_field([&](const torch::Tensor& x) { return run_graph(graph, x, true).back(); }, input, 0, 16, 16),
              analytic, "graph");
}

struct ArchCase {
  std::string arch;
  Shape input;
};
void PrintTo(const ArchCase& c, std::ostream* os) { *os << c.arch << " on " << to_string(c.input); }
class ArchFields : public ::testing::TestWithParam<ArchCase> {};

TEST_P(ArchFields, EveryLayerMatchesGradients) {
  const auto& p = GetParam();
  ArchitectureNet net(parse_architecture(p.arch, p.input));
  prepare_for_measurement(*net);
  const auto& graph = net->graph();
  for (int i = 1; i < static_cast<int>(graph.layers.size()); ++i) {
    const Shape& s = graph.layers[i].out;
    for (auto [r, c] : std::vector<std::pair<int64_t, int64_t>>{{s.h / 2, s.w / 2}, {0, 0}, {s.h - 1, s.w / 3}}) {
      const auto measured =
          measure_field([&](const torch::Tensor& x) { return run_graph(graph, x, true)[i]; }, p.input, 0, r, c);
      expect_same(measured, unit_field(graph, i, r, c),
                  p.arch + " layer " + std::to_string(i) + " unit " + std::to_string(r) + "," + std::to_string(c));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Strings, ArchFields,
                         ::testing::Values(ArchCase{"conv3-4,maxpool,conv3-4,maxpool,conv3-2", {2, 32, 32}},
                                           ArchCase{"conv5-3/s2,conv3-3/s2,convt3-3,convt4-2", {1, 32, 32}},
                                           ArchCase{"conv3-3/d2,relu,conv3-3/d3,bn,conv2-2", {1, 31, 29}},
                                           ArchCase{"conv4-3,upsample,conv3-3,maxpool3/s1,avgpool,upsample3,conv3-1",
                                                    {1, 12, 12}},
                                           ArchCase{"conv3-2/s3/p0,convt5-2/s3/p1/op2,conv1-2", {1, 20, 20}},
                                           ArchCase{"conv3-2,maxpool,fc,conv3-2", {1, 8, 8}}),
                         [](const auto& info) { return "arch" + std::to_string(info.index); });

TEST(ArchFields, ClassicSizesAndJumpsDerivedByHand) {
  // conv3 -> maxpool2 -> conv3 -> maxpool2 -> conv3 (stride 1 convs, 'same' padding), the r/j recursion
  // r_l = r_{l-1} + (k_l - 1) j_{l-1}, j_l = j_{l-1} s_l:
  //   conv3:   r = 1 + 2*1 = 3,   j = 1
  //   maxpool: r = 3 + 1*1 = 4,   j = 2
  //   conv3:   r = 4 + 2*2 = 8,   j = 2
  //   maxpool: r = 8 + 1*2 = 10,  j = 4
  //   conv3:   r = 10 + 2*4 = 18, j = 4
  const auto g = parse_architecture("conv3-32,maxpool,conv3-64,maxpool,conv3-3", {3, 32, 32});
  const auto f = layer_fields(g);
  const std::vector<int64_t> r{1, 3, 4, 8, 10, 18};
  const std::vector<double> j{1, 1, 2, 2, 4, 4};
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f[i].size_h, r[i]) << i;
    EXPECT_EQ(f[i].size_w, r[i]) << i;
    EXPECT_EQ(f[i].jump_h, j[i]) << i;
  }
  // Dilation spreads the taps: conv3/d2 spans 1 + 2*2 = 5 pixels but reads only 3 per axis (9 pixels, holes
  // between); a second conv3/d2 spans 5 + 2*2 = 9.
  const auto d = parse_architecture("conv3-1/d2,conv3-1/d2", {1, 21, 21});
  EXPECT_EQ(layer_fields(d)[1].size_h, 5);
  EXPECT_EQ(layer_fields(d)[2].size_h, 9);
  const auto centre = unit_field(d, 1, 10, 10);
  EXPECT_EQ(centre.rows, (std::vector<int64_t>{8, 10, 12}));
  EXPECT_EQ(centre.pixels, 9);
}

TEST(ArchFields, TransposedSizesAreTheLargestOverPositions) {
  // ConvTransposeNet's path at kernel 3: conv s2 (r 3, j 2), conv s2 (r 7, j 4), convT s2 (j 2), convT s2 (j 1).
  // A convT s2 k3 unit reads 1 input unit at even positions and 2 at odd ones: r = 7 + 1*4 = 11. At the next convT
  // an odd unit reads one even and one odd unit of the previous layer, whose fields nest, so r stays 11 (the
  // border-free recursion r + (ceil(k/s) - 1) j would say 13). Measured: the largest span over neighbouring units.
  ArchitectureNet net(parse_architecture("conv3-1/s2,conv3-1/s2,convt3-1,convt3-1", {1, 64, 64}));
  prepare_for_measurement(*net);
  const auto& g = net->graph();
  const auto f = layer_fields(g);
  EXPECT_EQ(f[3].size_h, 11);
  EXPECT_EQ(f[4].size_h, 11);
  EXPECT_EQ(f[4].jump_h, 1);
  for (int layer : {3, 4}) {
    int64_t widest = 0;
    const int64_t mid = g.layers[layer].out.h / 2;
    for (int64_t o = mid - 4; o < mid + 4; ++o) {
      const auto m =
          measure_field([&](const torch::Tensor& x) { return run_graph(g, x)[layer]; }, {1, 64, 64}, 0, o, o);
      widest = std::max(widest, m.span_h());
    }
    EXPECT_EQ(widest, f[layer].size_h) << "layer " << layer;
  }
}

}  // namespace
}  // namespace tint::analysis
