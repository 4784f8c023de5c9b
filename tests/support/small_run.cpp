#include "support/small_run.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include <sstream>

#include "tint/core/atomic_file.h"
#include "tint/core/interrupt.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint::test {
namespace fs = std::filesystem;

TempDir* SmallRunTest::dir_ = nullptr;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

void InterruptAt::on_batch(int e, int64_t done, int64_t) {
  if (e == epoch && done == batch) request_interrupt();
}

train::TrainJob resume_job(const fs::path& run_dir, int epochs) {
  train::TrainJob job;
  job.resume = true;
  job.epochs_override = epochs;
  job.data_dir = embedded_data_dir();
  job.run_dir = run_dir;
  return job;
}

int checkpoint_epoch(const fs::path& file) {
  train::CheckpointReader reader(file);
  train::load_model(reader);
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

std::string SmallRunTest::train_args(const fs::path& run, int epochs, int images, const std::string& lr, int batch) {
  return fmt::format(
      "train --num-filters 8 --train-limit {} --val-limit 50 --batch-size {} --samples 4 --threads 1 --epochs {} "
      "--lr {} --palette {} --out {}",
      images, batch, epochs, lr, quoted(*dir_ / "palette.json"), quoted(run));
}

namespace {

std::string metrics_without_seconds(const fs::path& csv) {
  std::istringstream in(read_file(csv));
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";  // seconds is the last column
  return out;
}

void expect_equal_tensors(const torch::OrderedDict<std::string, torch::Tensor>& want,
                          const torch::OrderedDict<std::string, torch::Tensor>& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].key(), got[i].key()) << what;
    EXPECT_TRUE(want[i].value().equal(got[i].value())) << what << " " << want[i].key() << " differs";
  }
}

}  // namespace

void expect_identical_runs(const fs::path& want, const fs::path& got) {
  EXPECT_EQ(metrics_without_seconds(want / "metrics.csv"), metrics_without_seconds(got / "metrics.csv"));
  train::CheckpointReader a(want / "checkpoint.pt"), b(got / "checkpoint.pt");
  EXPECT_EQ(a.meta().epoch, b.meta().epoch);
  auto ma = train::load_model(a), mb = train::load_model(b);
  expect_equal_tensors(ma->named_parameters(), mb->named_parameters(), "weight");
  expect_equal_tensors(ma->named_buffers(), mb->named_buffers(), "buffer");
  torch::optim::Adam oa(ma->parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam ob(mb->parameters(), torch::optim::AdamOptions(1e-3));
  a.restore_optimizer(oa);
  b.restore_optimizer(ob);
  const auto pa = ma->parameters(), pb = mb->parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    const auto key = [](const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); };
    ASSERT_TRUE(oa.state().count(key(pa[i])) && ob.state().count(key(pb[i]))) << "no Adam state for parameter " << i;
    const auto& sa = static_cast<const torch::optim::AdamParamState&>(*oa.state().at(key(pa[i])));
    const auto& sb = static_cast<const torch::optim::AdamParamState&>(*ob.state().at(key(pb[i])));
    EXPECT_EQ(sa.step(), sb.step()) << "parameter " << i;
    EXPECT_TRUE(sa.exp_avg().equal(sb.exp_avg())) << "Adam exp_avg of parameter " << i;
    EXPECT_TRUE(sa.exp_avg_sq().equal(sb.exp_avg_sq())) << "Adam exp_avg_sq of parameter " << i;
  }
}

}  // namespace tint::test
