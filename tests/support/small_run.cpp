#include "support/small_run.h"

#include <fmt/core.h>

#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"

namespace tint::test {
namespace fs = std::filesystem;

TempDir* SmallRunTest::dir_ = nullptr;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

int checkpoint_epoch(const fs::path& file) {
  train::CheckpointReader reader(file);
  auto model = models::make_model(reader.meta().config.model, reader.meta().config.net);
  reader.restore_model(*model);
  return reader.meta().epoch;
}

void SmallRunTest::SetUpTestSuite() {
  dir_ = new TempDir("tint-small-run");
  auto r = run_tint("palette --max-iterations 20 --threads 1 --out " + quoted(dir_->path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void SmallRunTest::TearDownTestSuite() {
  delete dir_;
  dir_ = nullptr;
}

std::string SmallRunTest::train_args(const fs::path& run, int epochs, int images, const std::string& lr) {
  return fmt::format(
      "train --num-filters 8 --train-limit {} --val-limit 50 --batch-size 25 --samples 4 --threads 1 --epochs {} "
      "--lr {} --palette {} --out {}",
      images, epochs, lr, quoted(*dir_ / "palette.json"), quoted(run));
}

}  // namespace tint::test
