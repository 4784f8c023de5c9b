// message_of: what a person reads of an exception, one line, LibTorch's backtrace left out.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"

namespace {

std::string message_of_throw(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return tint::message_of(e);
  }
  return "<no exception>";
}

TEST(MessageOf, LibTorchErrorsLoseTheirBacktrace) {
  // A real LibTorch failure: its what() carries "Exception raised from ..." and a frame per line.
  const auto shape_mismatch = [] { (void)torch::matmul(torch::ones({2, 3}), torch::ones({2, 3})); };
  std::string full;
  try {
    shape_mismatch();
  } catch (const c10::Error& e) {
    full = e.what();
  }
  ASSERT_GT(tint::test::count_lines(full), 3u) << "LibTorch's what() no longer carries a backtrace: " << full;
  const std::string m = message_of_throw(shape_mismatch);
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_EQ(m.find("frame #"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot be multiplied"), std::string::npos) << m;
}

TEST(MessageOf, OtherExceptionsAreFoldedOntoOneLine) {
  EXPECT_EQ(message_of_throw([] { throw tint::Error("data/x.bin: truncated"); }), "data/x.bin: truncated");
  EXPECT_EQ(message_of_throw([] { throw std::runtime_error("first\n  second\n\nthird\n"); }), "first; second; third");
}

}  // namespace
