// Architecture strings: the counts of question 3.2 (CNN against its fully connected counterpart) derived by hand,
// the parser's geometry against LibTorch's own shape arithmetic and parameters, and its error messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/analysis/architecture.h"
#include "tint/analysis/summary.h"
#include "tint/core/error.h"

namespace tint::analysis {
namespace {

TEST(Question32, ConvolutionalCountsDerivedByHand) {
  // Input 3x32x32; 3x3 convolutions with zero padding keep H x W; 2x2 max pooling with stride 2 halves them.
  //   conv3-32: 32x32x32 = 32768 neurons, 3*3 * 3*32  =   864 weights
  //   maxpool : 32x16x16 =  8192 neurons
  //   conv3-64: 64x16x16 = 16384 neurons, 3*3 * 32*64 = 18432 weights
  //   maxpool : 64x8x8   =  4096 neurons
  //   conv3-3 :  3x8x8   =   192 neurons, 3*3 * 64*3  =  1728 weights
  //   total: 32768 + 8192 + 16384 + 4096 + 192 = 61632 neurons; 864 + 18432 + 1728 = 21024 weights
  //   (+ 3*32*32 = 3072 input units when the input layer counts: 64704)
  const auto g = parse_architecture("conv3-32,maxpool,conv3-64,maxpool,conv3-3", {3, 32, 32});
  EXPECT_EQ(count_total(g, {}).outputs, 61632);
  EXPECT_EQ(count_total(g, {}).weights, 21024);
  EXPECT_EQ(count_total(g, {false, false, true}).outputs, 64704);
  // Biases: 32 + 64 + 3 = 99 more.
  EXPECT_EQ(count_total(g, {true, false, false}).weights, 21024 + 99);
  // Connections: conv outputs x 9 C_in, pool outputs x 4:
  //   32768*27 + 8192*4 + 16384*288 + 4096*4 + 192*576 = 884736 + 32768 + 4718592 + 16384 + 110592 = 5763072
  EXPECT_EQ(count_total(g, {}).connections, 5763072);
}

TEST(Question32, FullyConnectedCountsDerivedByHand) {
  // Every fc keeps its input's shape (the source's assumption), so it maps n units to n units with n^2 weights.
  //   fc      : 3x32x32 = 3072 neurons, 3072^2 = 9437184 weights
  //   maxpool : 3x16x16 =  768 neurons
  //   fc      : 3x16x16 =  768 neurons,  768^2 =  589824 weights
  //   maxpool : 3x8x8   =  192 neurons
  //   fc      : 3x8x8   =  192 neurons,  192^2 =   36864 weights
  //   total: 3072 + 768 + 768 + 192 + 192 = 4992 neurons; 9437184 + 589824 + 36864 = 10063872 weights
  const auto g = parse_architecture("fc,maxpool,fc,maxpool,fc", {3, 32, 32});
  EXPECT_EQ(count_total(g, {}).outputs, 4992);
  EXPECT_EQ(count_total(g, {}).weights, 10063872);
  // The CNN has about 479 times fewer weights for 12 times more neurons.
  const auto cnn = parse_architecture("conv3-32,maxpool,conv3-64,maxpool,conv3-3", {3, 32, 32});
  EXPECT_GT(count_total(g, {}).weights, 400 * count_total(cnn, {}).weights);
}

TEST(Question32, DeeperVggStyleStringDerivedByHand) {
  // conv3-64,maxpool,conv3-128,maxpool,conv3-256,conv3-256,maxpool on 3x32x32:
  //   conv3-64 : 64x32x32  = 65536, 9*3*64    =   1728
  //   maxpool  : 64x16x16  = 16384
  //   conv3-128: 128x16x16 = 32768, 9*64*128  =  73728
  //   maxpool  : 128x8x8   =  8192
  //   conv3-256: 256x8x8   = 16384, 9*128*256 = 294912
  //   conv3-256: 256x8x8   = 16384, 9*256*256 = 589824
  //   maxpool  : 256x4x4   =  4096
  //   neurons 65536 + 16384 + 32768 + 8192 + 16384 + 16384 + 4096 = 159744; weights 960192
  const auto g = parse_architecture("conv3-64,maxpool,conv3-128,maxpool,conv3-256,conv3-256,maxpool", {3, 32, 32});
  EXPECT_EQ(count_total(g, {}).outputs, 159744);
  EXPECT_EQ(count_total(g, {}).weights, 960192);
  EXPECT_EQ(g.output().out, (Shape{256, 4, 4}));
}

TEST(Architecture, ModulesAgreeWithTheDescription) {
  for (const auto& [arch, input] : std::vector<std::pair<std::string, Shape>>{
           {"conv3-32,maxpool,conv3-64,maxpool,conv3-3", {3, 32, 32}},
           {"fc,maxpool,fc-10", {3, 8, 8}},
           {"conv4-8/s2,bn,relu,convt4-4/s2,conv5-2/d2/p4,avgpool3/s1/p1,upsample3", {2, 17, 23}},
           {"conv3-4/s3/p0,convt5-2/s3/p1/op2", {1, 20, 20}}}) {
    ArchitectureNet net(parse_architecture(arch, input));
    const auto& g = net->graph();
    int64_t all = 0, matrices = 0;
    for (const auto& p : net->parameters()) {
      all += p.numel();
      if (p.dim() >= 2) matrices += p.numel();
    }
    EXPECT_EQ(count_total(g, {true, true, false}).weights, all) << arch;
    EXPECT_EQ(count_total(g, {}).weights, matrices) << arch;
    // LibTorch's own shape arithmetic agrees with the inferred shapes at every layer.
    torch::NoGradGuard no_grad;
    net->eval();
    const auto outs = run_graph(g, torch::rand({1, input.c, input.h, input.w}));
    for (size_t i = 0; i < g.layers.size(); ++i)
      EXPECT_EQ(outs[i].sizes(), torch::IntArrayRef({1, g.layers[i].out.c, g.layers[i].out.h, g.layers[i].out.w}))
          << arch << " layer " << i;
  }
}

TEST(Architecture, DefaultGeometry) {
  const auto g = parse_architecture("conv4-8/s2, convt5-8, MaxPool3, upsample, fc-7", {1, 30, 30});
  // conv4 s2 'same': zeros 1 before, 2 after; out = ceil(30 / 2) = 15.
  EXPECT_EQ(g.layers[1].pad_before, 1);
  EXPECT_EQ(g.layers[1].pad_after, 2);
  EXPECT_EQ(g.layers[1].out.h, 15);
  // convt5 defaults to stride 2 doubling: p = 2, op = 1, as the networks use (out 30).
  EXPECT_EQ(g.layers[2].stride, 2);
  EXPECT_EQ(g.layers[2].pad_before, 2);
  EXPECT_EQ(g.layers[2].output_padding, 1);
  EXPECT_EQ(g.layers[2].out.h, 30);
  EXPECT_EQ(g.layers[3].out.h, 10);  // maxpool3: stride 3
  EXPECT_EQ(g.layers[4].out.h, 20);
  EXPECT_EQ(g.layers[5].out, (Shape{7, 1, 1}));
}

TEST(Architecture, ErrorsNameTheFlagAndTheItem) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"conv3", "conv3"},
      {"conv3-64/x2", "/x"},
      {"conv3-8,,maxpool", "empty item"},
      {"pool", "pool"},
      {"", "--arch is empty"},
      {"conv3-8/s2/s2", "twice"},
      {"conv3-0", "channels"},
      {"convt3-8/op3", "output padding"},
      {"conv3-8,maxpool,maxpool,maxpool,maxpool,maxpool,maxpool", "too small"}};
  for (const auto& [arch, needle] : bad) {
    try {
      parse_architecture(arch, {3, 32, 32});
      ADD_FAILURE() << "accepted " << arch;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(needle), std::string::npos) << arch << ": " << what;
      if (needle != "too small") {
        EXPECT_NE(what.find("--arch"), std::string::npos) << what;
      }
    }
  }
  EXPECT_THROW(parse_shape("3x32"), Error);
  EXPECT_EQ(parse_shape("3x32x16"), (Shape{3, 32, 16}));
}

TEST(Summary, RowsAndTotals) {
  const auto g = parse_architecture("conv3-32,maxpool,conv3-64,maxpool,conv3-3", {3, 32, 32});
  const auto s = summarize(g, {});
  ASSERT_EQ(s.rows.size(), 6u);
  EXPECT_EQ(s.rows[1].counts.weights, 864);
  EXPECT_EQ(s.total.outputs, 61632);
  const auto text = format_summary(s);
  EXPECT_NE(text.find("conv 3x3 s1 p1"), std::string::npos) << text;
  EXPECT_NE(text.find("21024"), std::string::npos) << text;
  const auto csv = summary_table(s).to_csv();
  EXPECT_EQ(csv.rfind("layer,type,c,h,w,weights,outputs,connections,rf_h,rf_w,jump_h,jump_w", 0), 0u) << csv;
}

}  // namespace
}  // namespace tint::analysis
