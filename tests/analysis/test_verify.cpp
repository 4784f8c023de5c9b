// `tint summary --verify` (analysis/verify.h): the receptive-field check measures the network's own forward(), max
// pooling included. A forward() whose field is not the graph's (here: the network run on its input moved down one
// row, which keeps every shape) fails it; the real one passes, its detail saying how the field was measured.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tint/analysis/architecture.h"
#include "tint/analysis/verify.h"

namespace tint::analysis {
namespace {

Check field_check(const std::vector<Check>& checks) {
  for (const auto& c : checks)
    if (c.name == "receptive field") return c;
  throw std::runtime_error("no receptive field check");
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Verify, TheFieldIsMeasuredThroughTheNetworksOwnForward) {
  for (const bool max_pool : {true, false}) {
    const std::string arch = max_pool ? "conv3-3,maxpool,conv3-3,maxpool,conv3-2" : "conv3-3,avgpool,conv3-3,conv3-2";
    SCOPED_TRACE(arch);
    const Shape input{1, 24, 24};
    {
      ArchitectureNet net(parse_architecture(arch, input));
      const auto c =
          field_check(verify_graph(net->graph(), *net, [&](const torch::Tensor& x) { return net->forward(x); }));
      EXPECT_TRUE(c.passed) << c.detail;
      // The central unit (3, 3) of the 6x6 output, by hand: output row 3 reads rows 2..4 of the second pooling,
      // which read 4..9 of the second convolution, which read 3..10 of the first pooling, which read 6..21 of the
      // first convolution, which reads input rows 5..22 (18 x 18 = 324 pixels).
      EXPECT_TRUE(has(c.detail, max_pool ? "raising one input pixel at a time (max pooling passes gradient to one "
                                           "input per window) changes it for 324 pixels (rows 5..22, cols 5..22)"
                                         : "its gradient reaches"))
          << c.detail;
    }
    ArchitectureNet net(parse_architecture(arch, input));
    const auto c = field_check(verify_graph(net->graph(), *net, [&](const torch::Tensor& x) {
      return net->forward(torch::roll(x, /*shifts=*/{1}, /*dims=*/{2}));
    }));
    EXPECT_FALSE(c.passed) << c.detail;
    if (max_pool) {
      EXPECT_TRUE(has(c.detail, "324 pixels (rows 4..21, cols 5..22); analytic 324 pixels (rows 5..22, cols 5..22)"))
          << c.detail;
    }
  }
}

}  // namespace
}  // namespace tint::analysis
