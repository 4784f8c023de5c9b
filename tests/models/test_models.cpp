// Networks: figure shapes for every model, kernel and input size; weight counts against closed forms; the padding
// rule against the shape formulas of Conv2d / ConvTranspose2d.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/models/colour_net.h"
#include "tint/models/conv_transpose_net.h"
#include "tint/models/model_table.h"
#include "tint/models/padding.h"
#include "tint/models/pool_upsample_net.h"
#include "tint/models/unet.h"

namespace tint::models {
namespace {

struct ShapeCase {
  std::string model;
  int kernel;
  int side;
  std::string head = "figure";
};
void PrintTo(const ShapeCase& c, std::ostream* os) {
  *os << c.model << "/k" << c.kernel << "/" << c.side << "/" << c.head;
}

class ModelShapes : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ModelShapes, KeepFigureShapes) {
  const auto& p = GetParam();
  ModelConfig c{p.kernel, 1, 8, 24};
  c.head = p.head;
  auto net = make_model(p.model, c);
  net->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::rand({2, 1, p.side, p.side});
  auto out = net->forward(x);
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 24, p.side, p.side}));
  // Every block keeps the figure's intermediate shape.
  auto* any = dynamic_cast<ConvTransposeNetImpl*>(net.get());
  if (any != nullptr) {
    auto h1 = any->block1->forward(x);
    EXPECT_EQ(h1.sizes(), (std::vector<int64_t>{2, 8, p.side / 2, p.side / 2}));
    auto h2 = any->block2->forward(h1);
    EXPECT_EQ(h2.sizes(), (std::vector<int64_t>{2, 16, p.side / 4, p.side / 4}));
    auto h3 = any->block3->forward(h2);
    EXPECT_EQ(h3.sizes(), (std::vector<int64_t>{2, 8, p.side / 2, p.side / 2}));
    // The pointwise head keeps NF channels up to the final 1x1 convolution; the figure's widens to NC in block4.
    EXPECT_EQ(any->block4->forward(h3).size(1), p.head == "pointwise" ? 8 : 24);
  }
}

std::vector<ShapeCase> shape_cases() {
  std::vector<ShapeCase> cases;
  for (const auto& m : model_names())
    for (int k : {3, 4, 5})
      for (int side : {32, 64})
        for (const char* head : {"figure", "pointwise"}) cases.push_back({m, k, side, head});
  return cases;
}
INSTANTIATE_TEST_SUITE_P(AllModels, ModelShapes, ::testing::ValuesIn(shape_cases()), [](const auto& info) {
  std::string n = info.param.model + "_k" + std::to_string(info.param.kernel) + "_" + std::to_string(info.param.side) +
                  "_" + info.param.head;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

TEST(ModelWeights, MatchClosedForms) {
  // Closed forms from the figure (k^2 times the in x out channels of every convolution, no bias, no batchnorm):
  //   PoolUpsampleNet, ConvTransposeNet: k^2 (NIC NF + NF 2NF + 2NF NF + NF NC + NC NC)
  //   UNet:                             k^2 (NIC NF + NF 2NF + 2NF NF + 2NF NC + (NC + NIC) NC)
  for (int k : {2, 3, 4, 5})
    for (int nic : {1, 3})
      for (int nf : {4, 7})
        for (int nc : {2, 24}) {
          ModelConfig c{k, nic, nf, nc};
          const int64_t k2 = k * k;
          const int64_t plain = k2 * (nic * nf + nf * 2 * nf + 2 * nf * nf + nf * nc + nc * nc);
          const int64_t unet = k2 * (nic * nf + nf * 2 * nf + 2 * nf * nf + 2 * nf * nc + (nc + nic) * nc);
          EXPECT_EQ(count_weights(*make_model("pool-upsample", c)), plain);
          EXPECT_EQ(count_weights(*make_model("conv-transpose", c)), plain);
          EXPECT_EQ(count_weights(*make_model("unet", c)), unet);
          // The pointwise head: block4 keeps NF channels, final is a 1x1 convolution to NC.
          c.head = "pointwise";
          const int64_t plain_pw = k2 * (nic * nf + nf * 2 * nf + 2 * nf * nf + nf * nf) + nf * nc;
          const int64_t unet_pw = k2 * (nic * nf + nf * 2 * nf + 2 * nf * nf + 2 * nf * nf) + (nf + nic) * nc;
          EXPECT_EQ(count_weights(*make_model("pool-upsample", c)), plain_pw);
          EXPECT_EQ(count_weights(*make_model("conv-transpose", c)), plain_pw);
          EXPECT_EQ(count_weights(*make_model("unet", c)), unet_pw);
        }
}

TEST(ModelWeights, DeepUNetMatchesItsClosedForm) {
  //   DeepUNet: k^2 (NIC NF + NF 2NF + 2NF 4NF + 4NF 8NF + 8NF 4NF + 8NF 2NF + 4NF NF + 2NF H) + (H + NIC) NC k_final^2
  //   with H = NC, k_final = k for the figure's head; H = NF, k_final = 1 for the pointwise one.
  for (int k : {3, 4})
    for (int nf : {4, 7})
      for (const char* head : {"figure", "pointwise"}) {
        ModelConfig c{k, 1, nf, 24};
        c.head = head;
        const bool figure = c.head == "figure";
        const int64_t h = figure ? 24 : nf, kf = figure ? k : 1;
        const int64_t body = nf + nf * 2 * nf + 2 * nf * 4 * nf + 4 * nf * 8 * nf + 8 * nf * 4 * nf + 8 * nf * 2 * nf +
                             4 * nf * nf + 2 * nf * h;
        EXPECT_EQ(count_weights(*make_model("deep-unet", c)), k * k * body + (h + 1) * 24 * kf * kf) << head;
      }
}

TEST(ModelShapes, DeepUNetNeedsSidesDivisibleBy16) {
  auto model = make_model("deep-unet", ModelConfig{3, 1, 4, 8});
  EXPECT_EQ(model->size_multiple(), 16);
  EXPECT_EQ(make_model("unet", ModelConfig{3, 1, 4, 8})->size_multiple(), 4);
  model->eval();
  EXPECT_EQ(model->forward(torch::rand({1, 1, 48, 80})).sizes(), (std::vector<int64_t>{1, 8, 48, 80}));
  EXPECT_THROW(model->forward(torch::rand({1, 1, 40, 48})), c10::Error);
}

TEST(Padding, SourceValuesForKernel3) {
  EXPECT_EQ(halving_padding(3), 1);
  EXPECT_EQ(doubling_padding(3).padding, 1);
  EXPECT_EQ(doubling_padding(3).output_padding, 1);
  EXPECT_EQ(same_padding(3).before, 1);
  EXPECT_EQ(same_padding(3).after, 1);
}

TEST(Padding, KeepsShapesForKernels2To7AndDilations) {
  using V = std::vector<int64_t>;
  // Checked against the output-size formulas of torch.nn.Conv2d / ConvTranspose2d by running the real layers.
  for (int k = 2; k <= 7; ++k)
    for (int d : {1, 2}) {
      SCOPED_TRACE("kernel " + std::to_string(k) + " dilation " + std::to_string(d));
      auto x = torch::rand({1, 1, 16, 16});
      const int p = halving_padding(k, d);
      auto down = torch::conv2d(x, torch::rand({1, 1, k, k}), torch::Tensor(), V{2, 2}, V{p, p}, V{d, d});
      EXPECT_EQ(down.size(2), 8);
      const auto t = doubling_padding(k, d);
      EXPECT_GE(t.output_padding, 0);
      EXPECT_LT(t.output_padding, 2);
      auto up = torch::conv_transpose2d(down, torch::rand({1, 1, k, k}), torch::Tensor(), V{2, 2},
                                        V{t.padding, t.padding}, V{t.output_padding, t.output_padding}, 1, V{d, d});
      EXPECT_EQ(up.size(2), 16);
      auto s = same_padding(k, d);
      auto same = torch::conv2d(torch::constant_pad_nd(x, {s.before, s.after, s.before, s.after}),
                                torch::rand({1, 1, k, k}), torch::Tensor(), V{1, 1}, V{0, 0}, V{d, d});
      EXPECT_EQ(same.size(2), 16);
      EXPECT_EQ(same.size(3), 16);
    }
}

TEST(Registry, UnknownModelAndBadSettingsAreRefused) {
  try {
    make_model("resnet", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pool-upsample, conv-transpose, unet"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_model("unet", {0, 1, 32, 24}), Error);
  EXPECT_THROW(make_model("unet", {3, 1, 32, 1}), Error);
  EXPECT_THROW(make_model("unet", {3, 0, 32, 24}), Error);
}

// validate(name, config) refuses exactly what make_model refuses, without building anything.
TEST(Registry, ValidateAgreesWithMakeModel) {
  const std::vector<ModelConfig> configs{{3, 1, 32, 24}, {0, 1, 32, 24},  {3, 1, 32, 1},    {3, 0, 32, 24},
                                         {16, 1, 8, 24}, {15, 1, 4, 256}, {3, 1, 4097, 24}, {3, 65, 4, 24}};
  for (const std::string name : {"pool-upsample", "conv-transpose", "unet", "resnet"}) {
    for (const auto& c : configs) {
      SCOPED_TRACE(name + " kernel " + std::to_string(c.kernel) + " filters " + std::to_string(c.num_filters));
      std::string built = "ok", checked = "ok";
      try {
        if (c.num_filters <= 64)
          make_model(name, c);  // 4097 filters would build gigabytes; validate must refuse it
        else
          built = "refused";
      } catch (const Error& e) {
        built = e.what();
      }
      try {
        models::validate(name, c);
      } catch (const Error& e) {
        checked = e.what();
      }
      if (built == "refused")
        EXPECT_NE(checked, "ok");
      else
        EXPECT_EQ(checked, built);
    }
  }
}

TEST(UNet, SkipConnectionsCarryTheInput) {
  // With every weight of the final convolution zero except the one reading the grey input channel, the output
  // equals that input scaled: proof that the input is concatenated into the final layer.
  ModelConfig c{3, 1, 4, 2};
  UNet net(c);
  torch::NoGradGuard no_grad;
  auto& w = net->final->conv->weight;
  w.zero_();
  net->final->conv->bias.zero_();
  w[0][2][1][1] = 1.0;  // output colour 0 <- input channel NC + 0 (the grey image), centre tap
  net->eval();
  auto x = torch::rand({1, 1, 8, 8});
  EXPECT_TRUE(torch::allclose(net->forward(x)[0][0], x[0][0]));
}

}  // namespace
}  // namespace tint::models
