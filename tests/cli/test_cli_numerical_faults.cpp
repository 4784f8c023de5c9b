// End-to-end numerical faults of `tint train`: a loss or a validation loss that stops being finite ends the run with
// one line on stderr naming the epoch (and batch), exit 2, and the files of the last good epoch byte for byte as
// they were: nothing of the failing epoch is written.
//
// How the fault is made: a learning rate of 1e30. Adam's first step then moves every weight by about 1e30, so the
// next forward pass overflows float32. To make it happen after a good epoch, the checkpoint of a healthy run is
// rewritten (through the library) with that learning rate, as if the run had been resumed with it.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

using test::checkpoint_epoch;
using test::quoted;
using NumericalFaults = test::SmallRunTest;

// Rewrites a run's checkpoint so that it continues with learning rate `lr` (config and optimizer state both, since
// resuming restores the optimizer's own options).
void set_learning_rate(const fs::path& checkpoint, double lr) {
  train::CheckpointReader reader(checkpoint);
  auto meta = reader.meta();
  meta.config.learning_rate = lr;
  auto model = train::load_model(reader);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(lr));
  reader.restore_optimizer(optimizer);
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  train::save_checkpoint(checkpoint, meta, *model, optimizer);
}

TEST_F(NumericalFaults, NanLossNamesEpochAndBatchAndSaysNoCheckpointExistsYet) {
  test::TempDir tmp;
  auto r = test::run_tint(train_args(tmp / "run", 3, 300, "1e30"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("loss became NaN at epoch 1, batch 2: stopping; no checkpoint had been written yet"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(tmp / "run" / "checkpoint.pt"));
  EXPECT_FALSE(fs::exists(tmp / "run" / "metrics.csv"));
}

// Regression: with one batch per epoch the overflowing step is the epoch's last, so the training loss was finite and
// the NaN only showed in validation. tint used to save that model as checkpoint.pt and write "-nan" to metrics.csv.
TEST_F(NumericalFaults, OverflowInTheLastBatchOfAnEpochSavesNothingOfThatEpoch) {
  test::TempDir tmp;
  auto r = test::run_tint(train_args(tmp / "run", 3, /*images=*/25, "1e30"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("validation loss became NaN after epoch 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no checkpoint had been written yet"), std::string::npos) << r.err;
  for (const char* f : {"checkpoint.pt", "metrics.csv", "samples_epoch_01.png"}) {
    EXPECT_FALSE(fs::exists(tmp / "run" / f)) << f;
  }
}

TEST_F(NumericalFaults, DivergenceAfterAGoodEpochKeepsItsCheckpoint) {
  struct Case {
    int images;  // 300: 12 batches per epoch; 25: one batch, so the NaN first shows in validation
    const char* message;
  };
  for (const Case& c :
       {Case{300, "loss became NaN at epoch 2, batch 2"}, Case{25, "validation loss became NaN after epoch 2"}}) {
    SCOPED_TRACE(c.message);
    test::TempDir tmp;
    const fs::path run = tmp / "run";
    auto first = test::run_tint(train_args(run, 1, c.images));
    ASSERT_EQ(first.exit_code, 0) << first.err;
    set_learning_rate(run / "checkpoint.pt", 1e30);
    const auto before = test::read_tree(run);
    auto r = test::run_tint("train --threads 1 --epochs 3 --resume " + quoted(run));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the last good checkpoint (" + (run / "checkpoint.pt").string() + ") is kept"),
              std::string::npos)
        << r.err;
    test::expect_same_files(before, test::read_tree(run));
    EXPECT_EQ(checkpoint_epoch(run / "checkpoint.pt"), 1);
  }
}

}  // namespace
}  // namespace tint
