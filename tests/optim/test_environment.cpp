// Runs the optim tests on one intra-op thread, as `tint optim` does by default: the problems hold a few thousand
// numbers, and handing each small product to a second thread costs more than it saves (much more on a busy machine).
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

struct SingleThread : ::testing::Environment {
  void SetUp() override { torch::set_num_threads(1); }
};

[[maybe_unused]] auto* const kSingleThread = ::testing::AddGlobalTestEnvironment(new SingleThread);

}  // namespace
