// Small real training runs for end-to-end tests of `tint train`: one palette shared by a test suite, the flags of a
// run that takes a second, and what a run directory's checkpoint says.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/train/trainer.h"

namespace tint::test {

// `p` in single quotes, for the shell command lines run_tint takes.
std::string quoted(const std::filesystem::path& p);

// The epoch recorded in a checkpoint, after loading its model (so a checkpoint that does not load fails the test).
int checkpoint_epoch(const std::filesystem::path& file);

// "Exactly the uninterrupted run": `got`'s metrics.csv equals `want`'s byte for byte apart from the seconds column,
// and its checkpoint holds the same weights, batchnorm statistics and Adam state, bit for bit.
void expect_identical_runs(const std::filesystem::path& want, const std::filesystem::path& got);

// Requests an interrupt (as SIGINT would) once batch `batch` of epoch `epoch` is done.
struct InterruptAt : train::TrainObserver {
  int epoch;
  int64_t batch;
  InterruptAt(int e, int64_t b) : epoch(e), batch(b) {}
  void on_batch(int e, int64_t done, int64_t total) override;
};

// A job resuming the run in `run_dir` on the embedded data, to `epochs` in all (0: the run's own).
train::TrainJob resume_job(const std::filesystem::path& run_dir, int epochs = 0);

// A suite whose tests train small networks: SetUpTestSuite fits one palette (20 k-means iterations) for all of them.
class SmallRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  // A fresh run into `run`: 8 filters, `images` training and 50 validation images in batches of `batch`, one thread.
  static std::string train_args(const std::filesystem::path& run, int epochs, int images = 300,
                                const std::string& lr = "0.001", int batch = 25);

 private:
  static TempDir* dir_;
};

}  // namespace tint::test
