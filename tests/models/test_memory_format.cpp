// Memory format: a network in channels-last (the default) computes what the same network computes in NCHW, forward
// and backward, keeps NHWC all the way through (UNet's concatenations included), and converts weights loaded in
// another layout (a checkpoint saved in NCHW) at the next forward.
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"

namespace tint::models {
namespace {

using torch::MemoryFormat;

bool nhwc_strides(const torch::Tensor& t) { return t.is_contiguous(MemoryFormat::ChannelsLast) && t.stride(1) == 1; }

class MemoryFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MemoryFormatTest, ChannelsLastEqualsContiguousForwardAndBackward) {
  torch::manual_seed(3);
  ModelConfig c{3, 1, 8, 12};
  auto nchw = make_model(GetParam(), c);
  auto nhwc = make_model(GetParam(), c);
  nchw->set_memory_format(MemoryFormat::Contiguous);
  EXPECT_EQ(nhwc->memory_format(), MemoryFormat::ChannelsLast);  // the default
  {
    torch::NoGradGuard no_grad;
    auto from = nchw->parameters();
    auto to = nhwc->parameters();
    for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }
  auto x = torch::rand({4, 1, 16, 16});
  auto target = torch::randint(0, 12, {4, 16, 16});
  auto out_nchw = nchw->forward(x);
  auto out_nhwc = nhwc->forward(x);
  EXPECT_TRUE(out_nchw.is_contiguous());
  EXPECT_TRUE(nhwc_strides(out_nhwc)) << out_nhwc.strides();
  EXPECT_TRUE(torch::allclose(out_nchw, out_nhwc, 1e-4, 1e-5)) << (out_nchw - out_nhwc).abs().max();
  torch::nn::functional::cross_entropy(out_nchw, target).backward();
  torch::nn::functional::cross_entropy(out_nhwc, target).backward();
  auto a = nchw->named_parameters(), b = nhwc->named_parameters();
  for (const auto& item : a) {
    SCOPED_TRACE(item.key());
    const auto& ga = item.value().grad();
    const auto& gb = b[item.key()].grad();
    ASSERT_TRUE(ga.defined() && gb.defined());
    EXPECT_TRUE(torch::allclose(ga, gb, 1e-3, 1e-5)) << (ga - gb).abs().max();
    if (item.value().dim() == 4) {
      EXPECT_TRUE(nhwc_strides(b[item.key()])) << "weight not NHWC";
    }
  }
}

TEST_P(MemoryFormatTest, WeightsLoadedInNchwAreConvertedAtTheNextForward) {
  ModelConfig c{3, 1, 8, 12};
  auto saved = make_model(GetParam(), c);
  saved->set_memory_format(MemoryFormat::Contiguous);
  saved->eval();
  auto x = torch::rand({2, 1, 16, 16});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = saved->forward(x);
  }
  std::stringstream bytes;
  {
    torch::serialize::OutputArchive out;
    saved->save(out);
    out.save_to(bytes);
  }
  auto loaded = make_model(GetParam(), c);  // channels-last
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  loaded->load(in);
  loaded->eval();
  torch::InferenceMode inference;  // as in colourize: the converted weights must still be ordinary tensors
  auto got = loaded->forward(x);
  EXPECT_TRUE(torch::allclose(expected, got, 1e-4, 1e-5));
  for (const auto& p : loaded->parameters()) {
    if (p.dim() == 4) {
      EXPECT_TRUE(nhwc_strides(p)) << p.sizes() << " " << p.strides();
      EXPECT_FALSE(p.is_inference());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, MemoryFormatTest, ::testing::ValuesIn(model_names()));

}  // namespace
}  // namespace tint::models
