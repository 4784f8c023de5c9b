// Registry models: the layer graph read from each module against the module itself — parameters, forward shapes
// and output — for kernels 3, 4, 5 and random NIC, NF, NC; the totals against closed forms derived by hand; and
// the symbolic totals against both.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/analysis/model_graph.h"
#include "tint/analysis/summary.h"
#include "tint/core/error.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"

namespace tint::analysis {
namespace {

bool is_source_model(const std::string& name) {
  const auto& source = models::source_model_names();
  return std::find(source.begin(), source.end(), name) != source.end();
}

struct ModelCase {
  std::string model;
  models::ModelConfig config;
};
std::string describe(const ModelCase& c) {
  return c.model + " k" + std::to_string(c.config.kernel) + " NIC" + std::to_string(c.config.num_in_channels) + " NF" +
         std::to_string(c.config.num_filters) + " NC" + std::to_string(c.config.num_colours);
}

// Kernels 3, 4, 5, each with two random (NIC, NF, NC). The seed is fixed and every check names its case, so a
// failure can be rerun.
std::vector<ModelCase> cases_for(const std::string& model) {
  std::mt19937 rng(413);
  std::uniform_int_distribution<int> nic(1, 4), nf(1, 12), nc(2, 30);
  std::vector<ModelCase> cases;
  for (int k : {3, 4, 5})
    for (int draw = 0; draw < 2; ++draw) cases.push_back({model, {k, nic(rng), nf(rng), nc(rng), 1}});
  return cases;
}

// One test per model, looping over its cases: each test is its own process under CTest, and LibTorch's start-up
// would otherwise dominate the folder's run time.
class ModelGraph : public ::testing::TestWithParam<std::string> {};

int64_t numel_of(const std::vector<torch::Tensor>& ts) {
  int64_t n = 0;
  for (const auto& t : ts) n += t.numel();
  return n;
}

TEST_P(ModelGraph, WeightsAgreeWithTheModuleParameters) {
  for (const auto& p : cases_for(GetParam())) {
    SCOPED_TRACE(describe(p));
    auto net = models::make_model(p.model, p.config);
    const auto graph = describe_model(net, {p.config.num_in_channels, 32, 32});

    // Sorted out from the module's own parameter list: kernels are the 4-D tensors; BatchNorm's are found by type.
    int64_t kernels = 0, all = 0, batchnorm = 0;
    for (const auto& t : net->parameters()) {
      all += t.numel();
      if (t.dim() == 4) kernels += t.numel();
    }
    for (const auto& m : net->modules(/*include_self=*/false))
      if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(m)) batchnorm += numel_of(bn->parameters());

    EXPECT_EQ(count_total(graph, {}).weights, kernels);
    EXPECT_EQ(count_total(graph, {}).weights, models::count_weights(*net));
    EXPECT_EQ(count_total(graph, {/*include_bias=*/true, /*include_batchnorm=*/true}).weights, all);
    EXPECT_EQ(count_total(graph, {false, true}).weights - count_total(graph, {}).weights, batchnorm);
    EXPECT_EQ(count_total(graph, {true, false}).weights, all - batchnorm);

    // Layer by layer: each described layer against the parameters registered under its module path.
    const auto named = net->named_parameters();
    for (size_t i = 0; i < graph.layers.size(); ++i) {
      const Layer& l = graph.layers[i];
      if (l.module_path.empty()) continue;
      int64_t under = 0;
      for (const auto& item : named)
        if (item.key().rfind(l.module_path + ".", 0) == 0) under += item.value().numel();
      EXPECT_EQ(count_layer(graph, static_cast<int>(i), {true, true}).weights, under) << l.name;
    }
  }
}

TEST_P(ModelGraph, OutputsAgreeWithTheForwardPass) {
  for (const auto& p : cases_for(GetParam())) {
    SCOPED_TRACE(describe(p));
    auto net = models::make_model(p.model, p.config);
    net->eval();
    torch::NoGradGuard no_grad;
    const int64_t h = 32, w = 48;  // not square, so that a swapped axis would show
    const auto graph = describe_model(net, {p.config.num_in_channels, h, w});
    auto x = torch::rand({2, p.config.num_in_channels, h, w});
    const auto outs = run_graph(graph, x);
    // The layers run one by one, wired as the graph says, give exactly the network's own output.
    // (Close, not bitwise: a layer may run through a faster kernel of the same function inside the network.)
    EXPECT_TRUE(torch::allclose(outs.back(), net->forward(x), 1e-4, 1e-5));
    int64_t recorded = 0;
    for (size_t i = 0; i < graph.layers.size(); ++i) {
      const Layer& l = graph.layers[i];
      EXPECT_EQ(outs[i].sizes(), torch::IntArrayRef({2, l.out.c, l.out.h, l.out.w})) << l.name;
      const bool counted = l.kind != LayerKind::Input && l.kind != LayerKind::BatchNorm && l.kind != LayerKind::ReLU &&
                           l.kind != LayerKind::Concat;
      if (counted) recorded += outs[i].numel() / 2;
    }
    EXPECT_EQ(count_total(graph, {}).outputs, recorded);
    // Block ends keep the figure's shapes (the source's three networks; deep-unet's are checked in tests/models).
    if (!is_source_model(p.model)) continue;
    const int nf = p.config.num_filters, nc = p.config.num_colours;
    auto end_of = [&](const std::string& block) {
      Shape s;
      for (const auto& l : graph.layers)
        if (l.name.rfind(block, 0) == 0 && l.kind != LayerKind::Concat) s = l.out;
      return s;
    };
    EXPECT_EQ(end_of("block1"), (Shape{nf, h / 2, w / 2}));
    EXPECT_EQ(end_of("block2"), (Shape{2 * nf, h / 4, w / 4}));
    EXPECT_EQ(end_of("block3"), (Shape{nf, h / 2, w / 2}));
    EXPECT_EQ(end_of("block4"), (Shape{nc, h, w}));
    EXPECT_EQ(end_of("final"), (Shape{nc, h, w}));
  }
}

TEST_P(ModelGraph, TotalsMatchHandDerivedClosedForms) {
  // Hand derivation for 32x32 inputs (H W = 1024), k^2 per tap, NIC = a, NF = f, NC = c:
  // pool-upsample   conv a->f @32x32, pool f @16x16, conv f->2f @16x16, pool 2f @8x8,
  //                 conv 2f->f @8x8, upsample f @16x16, conv f->c @16x16, upsample c @32x32, conv c->c @32x32
  //   outputs     = 1024f + 256f + 512f + 128f + 64f + 256f + 256c + 1024c + 1024c = 2240f + 2304c
  //   connections = k^2 (1024 a f + 256*2f*f + 64*f*2f + 256 c f + 1024 c c)      [conv: outputs x C_in k^2]
  //               + 4 (256f + 128f)  + (256f + 1024c)                              [pool: x4, upsample: x1]
  //               = k^2 (1024 af + 640 f^2 + 256 fc + 1024 c^2) + 1792 f + 1024 c
  // conv-transpose  conv a->f s2 @16x16, conv f->2f s2 @8x8, convT 2f->f @16x16, convT f->c @32x32, conv c->c
  //   outputs     = 256f + 128f + 256f + 1024c + 1024c = 640f + 2048c
  //   connections = k^2 (256 f a + 128 f f + (2f*64) f + (f*256) c + 1024 c c)   [convT: inputs x C_out k^2]
  //               = k^2 (256 af + 256 f^2 + 256 fc + 1024 c^2)
  // unet            as conv-transpose, but block4 reads cat(f, f) = 2f channels and final reads c + a
  //   outputs     = 640f + 2048c                                                 [a concatenation adds no units]
  //   connections = k^2 (256 af + 256 f^2 + (2f*256) c + 1024 c (c + a))
  // weights (no bias, no batchnorm): k^2 (af + 2f^2 + 2f^2 + fc + c^2); unet: k^2 (af + 4f^2 + 2fc + (c + a) c)
  for (const auto& p : cases_for(GetParam())) {
    SCOPED_TRACE(describe(p));
    const int64_t k2 = p.config.kernel * p.config.kernel, a = p.config.num_in_channels, f = p.config.num_filters,
                  c = p.config.num_colours;
    Counts expected;
    if (p.model == "pool-upsample") {
      expected = {k2 * (a * f + 4 * f * f + f * c + c * c), 2240 * f + 2304 * c,
                  k2 * (1024 * a * f + 640 * f * f + 256 * f * c + 1024 * c * c) + 1792 * f + 1024 * c};
    } else if (p.model == "conv-transpose") {
      expected = {k2 * (a * f + 4 * f * f + f * c + c * c), 640 * f + 2048 * c,
                  k2 * (256 * a * f + 256 * f * f + 256 * f * c + 1024 * c * c)};
    } else if (p.model == "unet") {
      expected = {k2 * (a * f + 4 * f * f + 2 * f * c + (c + a) * c), 640 * f + 2048 * c,
                  k2 * (256 * a * f + 256 * f * f + 512 * f * c + 1024 * c * (c + a))};
    } else {
      // deep-unet, figure head, at 32x32: down a->f @16x16, f->2f @8x8, 2f->4f @4x4, 4f->8f @2x2; up (convT,
      // inputs x C_out k^2) 8f->4f @4x4 from 2x2, cat(4f, 4f)->2f @8x8 from 4x4, cat(2f, 2f)->f @16x16 from 8x8,
      // cat(f, f)->c @32x32 from 16x16; final cat(c, a)->c @32x32.
      //   outputs     = 256f + 128f + 64f + 32f + 64f + 128f + 256f + 1024c + 1024c = 928f + 2048c
      //   connections = k^2 (256 af + 64*f*2f + 16*2f*4f + 4*4f*8f + 4*8f*4f + 16*8f*2f + 64*4f*f + 256*2f*c
      //                      + 1024 c (c + a))
      //               = k^2 (256 af + 1024 f^2 + 512 fc + 1024 c (c + a))
      expected = {k2 * (a * f + 2 * f * f + 8 * f * f + 32 * f * f + 32 * f * f + 16 * f * f + 4 * f * f + 2 * f * c +
                        (c + a) * c),
                  928 * f + 2048 * c, k2 * (256 * a * f + 1024 * f * f + 512 * f * c + 1024 * c * (c + a))};
    }
    const auto graph = describe_model(models::make_model(p.model, p.config), {a, 32, 32});
    const auto total = count_total(graph, {});
    EXPECT_EQ(total.weights, expected.weights);
    EXPECT_EQ(total.outputs, expected.outputs);
    EXPECT_EQ(total.connections, expected.connections);
    // Question 4.3's doubling: weights stay, outputs and connections grow four-fold (every map has 4x the units).
    const auto doubled = count_total(describe_model(models::make_model(p.model, p.config), {a, 64, 64}), {});
    EXPECT_EQ(doubled.weights, expected.weights);
    EXPECT_EQ(doubled.outputs, 4 * expected.outputs);
    EXPECT_EQ(doubled.connections, 4 * expected.connections);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelGraph, ::testing::ValuesIn(models::model_names()), [](const auto& info) {
  std::string n = info.param;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

TEST(SymbolicTotals, AgreeWithRealNetworksAndHandForms) {
  // The polynomials come from networks at NIC 1..4, NF 1..4, NC 2..5, k 2..5; evaluate them far off that grid.
  std::mt19937 rng(2024);
  for (const auto& model : models::model_names()) {
    const auto s = symbolic_totals(model, {}, 32, 32, {});
    for (int draw = 0; draw < 3; ++draw) {
      const models::ModelConfig c{3 + draw, 1 + int(rng() % 5), 5 + int(rng() % 40), 2 + int(rng() % 60), 1};
      const auto total = count_total(describe_model(models::make_model(model, c), {c.num_in_channels, 32, 32}), {});
      const std::vector<int64_t> at{c.num_in_channels, c.num_filters, c.num_colours, c.kernel};
      EXPECT_EQ(s.weights.evaluate(at), Rational(total.weights)) << model;
      EXPECT_EQ(s.outputs.evaluate(at), Rational(total.outputs)) << model;
      EXPECT_EQ(s.connections.evaluate(at), Rational(total.connections)) << model;
    }
  }
  // The printed form for pool-upsample, as derived by hand above (question 4.3).
  const auto pu = symbolic_totals("pool-upsample", {}, 32, 32, {});
  EXPECT_EQ(pu.weights.to_string(3), "k^2*(NIC*NF + 4*NF^2 + NF*NC + NC^2)");
  EXPECT_EQ(pu.outputs.to_string(3), "2240*NF + 2304*NC");
  EXPECT_EQ(pu.connections.to_string(3), "k^2*(1024*NIC*NF + 640*NF^2 + 256*NF*NC + 1024*NC^2) + 1792*NF + 1024*NC");
  EXPECT_EQ(pu.weights.substitute(3, 3).to_string(), "9*NIC*NF + 36*NF^2 + 9*NF*NC + 9*NC^2");
  // With batchnorm counted: 2 parameters per channel of f, 2f, f, c -> 8f + 2c more weights.
  const auto bn = symbolic_totals("pool-upsample", {}, 32, 32, {false, true, false});
  EXPECT_EQ((bn.weights.evaluate({1, 7, 5, 3}) - pu.weights.evaluate({1, 7, 5, 3})), Rational(8 * 7 + 2 * 5));
}

TEST(ModelGraph, IncludeInputAddsTheInputUnits) {
  auto net = models::make_model("unet", {3, 2, 8, 24, 1});
  const auto graph = describe_model(net, {2, 32, 32});
  EXPECT_EQ(count_total(graph, {false, false, true}).outputs - count_total(graph, {}).outputs, 2 * 32 * 32);
}

TEST(ModelGraph, WrongInputChannelsAreNamed) {
  auto net = models::make_model("conv-transpose", {3, 1, 8, 24, 1});
  try {
    describe_model(net, {3, 32, 32});
    FAIL() << "3 input channels for a 1-channel network";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("block1.0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tint::analysis
