// The one resumable-run skeleton (runs/run_loop.h), driven by a stand-in kind whose step and epoch end record what
// the skeleton asked of them: global batches and shares, loss sums and means, the optimizer stepping once per batch
// from zeroed gradients, a resume inside an epoch, Ctrl-C inside and at the end of an epoch, a non-finite loss, and
// the seed streams' formulas.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/runs/run_loop.h"
#include "tint/runs/seeds.h"

namespace tint::runs {
namespace {
namespace fs = std::filesystem;

// A kind whose loss is w (one weight, gradient 1): SGD at lr 1 takes w down by one per step, by more if gradients
// were not zeroed between steps. Its loss parts are {batch + 1, 10 * (batch + 1)}, the last (the total) replaced
// when a test says so.
struct Recorder final : RunSteps {
  torch::Tensor w = torch::zeros({1}, torch::requires_grad());
  std::vector<BatchShare> shares;
  std::vector<int> begun;
  std::vector<Position> saved;
  std::vector<std::pair<int, std::vector<double>>> ended;
  std::function<void(const BatchShare&)> during;  // a test's action inside a step
  double loss_override = 0.0;
  bool override_loss = false;

  void begin_epoch(int epoch) override { begun.push_back(epoch); }
  std::vector<double> step(const BatchShare& s) override {
    shares.push_back(s);
    w.sum().backward();
    if (during) during(s);
    const double total = override_loss ? loss_override : 10.0 * double(s.batch + 1);
    return {double(s.batch + 1), total};
  }
  void save(const Position& at) override { saved.push_back(at); }
  void end_epoch(int epoch, const std::vector<double>& mean, Clock::time_point) override {
    ended.emplace_back(epoch, mean);
  }
};

LoopSettings settings(int epochs, const fs::path& dir, RunKind kind = RunKind::colourization) {
  LoopSettings s;
  s.epochs = epochs;
  s.items = 10;
  s.global_batch = 4;  // batches [0, 4), [4, 8), [8, 10)
  s.loss_parts = 2;
  s.dir = dir;
  s.kind = kind;
  return s;
}

struct RunLoop : ::testing::Test {
  void TearDown() override { clear_interrupt(); }
  distributed::DataParallel dp;  // one process
};

TEST_F(RunLoop, EachEpochTakesItsGlobalBatchesInOrderAndEndsWithTheMeanOfEachLossPart) {
  Recorder kind;
  torch::optim::SGD sgd({kind.w}, torch::optim::SGDOptions(1.0));
  run_epochs(kind, sgd, dp, settings(2, "run"), {});
  ASSERT_EQ(kind.shares.size(), 6u);
  EXPECT_EQ(kind.begun, (std::vector<int>{0, 1}));
  const int64_t bounds[3][2] = {{0, 4}, {4, 8}, {8, 10}};
  for (size_t i = 0; i < 6; ++i) {
    const auto& s = kind.shares[i];
    EXPECT_EQ(s.epoch, int(i / 3));
    EXPECT_EQ(s.batch, int64_t(i % 3));
    EXPECT_EQ(s.batches, 3);
    EXPECT_EQ(s.begin, bounds[i % 3][0]);
    EXPECT_EQ(s.end, bounds[i % 3][1]);
    EXPECT_EQ(s.first, s.begin);  // one worker: its share is the whole global batch
    EXPECT_EQ(s.last, s.end);
  }
  ASSERT_EQ(kind.ended.size(), 2u);
  EXPECT_EQ(kind.ended[1].first, 1);
  EXPECT_EQ(kind.ended[1].second, (std::vector<double>{2.0, 20.0}));  // (1 + 2 + 3) / 3 and ten times it
  // Six steps of -1: gradients were zeroed before each (accumulated ones would give -21).
  EXPECT_EQ(kind.w.item<double>(), -6.0);
  EXPECT_TRUE(kind.saved.empty());  // the kind saves its own checkpoint at each epoch's end
}

TEST_F(RunLoop, AResumeInsideAnEpochContinuesWithItsNextBatchAndItsLossSums) {
  Recorder kind;
  torch::optim::SGD sgd({kind.w}, torch::optim::SGDOptions(1.0));
  run_epochs(kind, sgd, dp, settings(3, "run"), Position{1, 2, {7.0, 70.0}});
  ASSERT_EQ(kind.shares.size(), 4u);  // epoch 1's last batch, then epoch 2's three
  EXPECT_EQ(kind.shares[0].epoch, 1);
  EXPECT_EQ(kind.shares[0].batch, 2);
  ASSERT_EQ(kind.ended.size(), 2u);
  EXPECT_EQ(kind.ended[0].first, 1);
  EXPECT_EQ(kind.ended[0].second, (std::vector<double>{(7.0 + 3.0) / 3, (70.0 + 30.0) / 3}));
  EXPECT_EQ(kind.ended[1].second, (std::vector<double>{2.0, 20.0}));  // the next epoch starts from zero sums
}

TEST_F(RunLoop, CtrlCInsideAnEpochSavesThePositionAndSaysHowToContinue) {
  Recorder kind;
  torch::optim::SGD sgd({kind.w}, torch::optim::SGDOptions(1.0));
  kind.during = [](const BatchShare& s) {
    if (s.epoch == 1 && s.batch == 0) request_interrupt();
  };
  EXPECT_EQ(test::error_of([&] { run_epochs(kind, sgd, dp, settings(3, "runs/a"), {}); }),
            "interrupted at epoch 2, batch 1 of 3; checkpoint saved. Continue with: tint train --resume runs/a");
  ASSERT_EQ(kind.saved.size(), 1u);
  EXPECT_EQ(kind.saved[0].epoch, 1);
  EXPECT_EQ(kind.saved[0].batches_done, 1);
  EXPECT_EQ(kind.saved[0].sums, (std::vector<double>{1.0, 10.0}));
  EXPECT_EQ(kind.w.item<double>(), -4.0);  // the interrupted step was applied: the checkpoint holds it
}

TEST_F(RunLoop, CtrlCInAnEpochsLastBatchStopsAfterTheEpochIsSaved) {
  Recorder kind;
  torch::optim::SGD sgd({kind.w}, torch::optim::SGDOptions(1.0));
  kind.during = [](const BatchShare& s) {
    if (s.batch == 2) request_interrupt();
  };
  EXPECT_EQ(test::error_of([&] { run_epochs(kind, sgd, dp, settings(3, "d", RunKind::detection), {}); }),
            "interrupted after epoch 1; checkpoint saved. Continue with: tint detect train --resume d");
  EXPECT_TRUE(kind.saved.empty());
  EXPECT_EQ(kind.ended.size(), 1u);
  // In the last epoch there is nothing left to interrupt: the run ends normally.
  clear_interrupt();
  Recorder last;
  torch::optim::SGD sgd2({last.w}, torch::optim::SGDOptions(1.0));
  last.during = [](const BatchShare& s) {
    if (s.batch == 2) request_interrupt();
  };
  EXPECT_NO_THROW(run_epochs(last, sgd2, dp, settings(1, "d"), {}));
}

TEST_F(RunLoop, ANonFiniteLossStopsBeforeTheStepWithTheLastGoodCheckpointKept) {
  test::TempDir tmp;
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    Recorder kind;
    torch::optim::SGD sgd({kind.w}, torch::optim::SGDOptions(1.0));
    kind.during = [&](const BatchShare& s) {
      kind.override_loss = s.epoch == 0 && s.batch == 1;
      kind.loss_override = bad;
    };
    const std::string name = std::isnan(bad) ? "NaN" : bad > 0 ? "+Inf" : "-Inf";
    EXPECT_EQ(test::error_of([&] { run_epochs(kind, sgd, dp, settings(2, tmp.path()), {}); }),
              "loss became " + name +
                  " at epoch 1, batch 2: stopping; no checkpoint had been written yet (try a "
                  "smaller --lr)");
    EXPECT_EQ(kind.w.item<double>(), -1.0);  // the failing step was not applied
  }
  write_file_atomic(tmp / "checkpoint.pt", "x");
  EXPECT_EQ(test::error_of(
                [&] { stop_non_finite("validation loss became NaN after epoch 2", tmp.path() / "checkpoint.pt"); }),
            "validation loss became NaN after epoch 2: stopping; the last good checkpoint (" +
                (tmp / "checkpoint.pt").string() + ") is kept (try a smaller --lr)");
}

TEST_F(RunLoop, AFreshRunRefusesADirectoryHoldingARunUnlessForced) {
  test::TempDir tmp;
  EXPECT_EQ(open_run({tmp.path(), RunKind::colourization, false, false}, dp), std::nullopt);
  write_file_atomic(tmp / "checkpoint.pt", "bytes");
  EXPECT_EQ(test::error_of([&] {
              open_run({tmp.path(), RunKind::colourization, false, false}, dp);
            }),
            tmp.path().string() + " already holds a run: continue it with --resume " + tmp.path().string() +
                " or choose another --out");
  EXPECT_EQ(open_run({tmp.path(), RunKind::detection, false, true}, dp), std::nullopt);
  EXPECT_EQ(open_run({tmp.path(), RunKind::detection, true, false}, dp), std::optional<std::string>("bytes"));
}

TEST_F(RunLoop, AnotherNumberOfWorkersKeepsTheGlobalBatch) {
  int batch = 50, world = 2;
  EXPECT_EQ(adapt_world_size(batch, world, 2, "r"), std::nullopt);
  EXPECT_EQ(adapt_world_size(batch, world, 1, "r", "; a caveat"),
            "r was trained by 2 worker(s) of batch 50; continuing with 1 of batch 100 (global batch 100 unchanged; a "
            "caveat)");
  EXPECT_EQ(batch, 100);
  EXPECT_EQ(world, 1);
  EXPECT_THROW(adapt_world_size(batch, world, 3, "r"), Error);  // 100 does not split among 3
}

TEST(Seeds, EachStreamKeepsTheFormulaItWasPublishedWith) {
  const uint64_t seed = 7;
  EXPECT_EQ(derive_seed(seed, SeedStream::epoch_order, 3), 7u * 1000003u + 3u);
  EXPECT_EQ(derive_seed(seed, SeedStream::batch, 3, 5), 7u * 1000003u + 3u * 100003u + 5u);
  EXPECT_EQ(derive_seed(seed, SeedStream::item, 3, 5), 7u ^ (uint64_t{3} << 32) ^ (uint64_t{5} * 0x9E3779B97F4A7C15u));
  // Wrapping modulo 2^64 is defined and deterministic for the largest seed.
  EXPECT_EQ(derive_seed(~uint64_t{0}, SeedStream::epoch_order, 1), ~uint64_t{0} * 1000003u + 1u);
}

}  // namespace
}  // namespace tint::runs
