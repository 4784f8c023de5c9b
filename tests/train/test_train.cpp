// Training: evaluation against a direct computation, determinism, resume equivalence, checkpoint and config checks.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/data/cifar10.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/experiments.h"
#include "tint/train/trainer.h"

namespace tint::train {
namespace {
namespace fs = std::filesystem;

// A palette fitted once on a few horses (fast), shared by the runs of these tests.
const fs::path& small_palette() {
  static test::TempDir dir("tint-palette");
  static const fs::path path = [] {
    auto images = data::read_cifar10(test::embedded_data_dir(), data::Split::Train).images.slice(0, 0, 100);
    data::Palette::fit(images, {24, 0, 50}, "horse").save(dir / "palette.json");
    return dir / "palette.json";
  }();
  return path;
}

TrainJob small_job(const fs::path& run_dir, int epochs) {
  TrainJob job;
  job.config.net.num_filters = 8;
  job.config.epochs = epochs;
  job.config.batch_size = 50;
  job.config.train_limit = 200;
  job.config.val_limit = 50;
  job.config.sample_count = 4;
  job.config.palette_file = small_palette();
  job.data_dir = test::embedded_data_dir();
  job.run_dir = run_dir;
  return job;
}

void expect_same_metrics(const std::vector<EpochMetrics>& a, const std::vector<EpochMetrics>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].epoch, b[i].epoch);
    EXPECT_NEAR(a[i].train_loss, b[i].train_loss, tol) << "epoch " << i + 1;
    EXPECT_NEAR(a[i].val_loss, b[i].val_loss, tol) << "epoch " << i + 1;
    EXPECT_NEAR(a[i].val_acc, b[i].val_acc, tol) << "epoch " << i + 1;
  }
}

TEST(Evaluate, MatchesDirectCrossEntropyAndAccuracy) {
  auto palette = data::Palette::load(small_palette());
  auto images = data::read_cifar10(test::embedded_data_dir(), data::Split::Test).images.slice(0, 0, 23);
  auto data = prepare(images, palette);
  torch::manual_seed(1);
  auto model = models::make_model("unet", {3, 1, 4, 24});
  model->eval();
  auto r = evaluate(*model, data, /*batch_size=*/5);  // batches of 5, last one partial
  // Direct: per-pixel negative log-likelihood in double over the whole set at once.
  torch::NoGradGuard no_grad;
  auto logits = model->forward(data.grey).to(torch::kFloat64);         // (N, K, H, W)
  auto nll = -logits.log_softmax(1).gather(1, data.ids.unsqueeze(1));  // (N, 1, H, W)
  EXPECT_NEAR(r.loss, nll.mean().item<double>(), 1e-5);
  auto acc = 100.0 * logits.argmax(1).eq(data.ids).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(r.accuracy, acc, 1e-9);
}

TEST(Train, SameSeedGivesIdenticalMetrics) {
  test::TempDir a, b;
  auto ra = train(small_job(a.path(), 2));
  auto rb = train(small_job(b.path(), 2));
  expect_same_metrics(ra.history, rb.history, 0.0);
  EXPECT_LT(ra.history[1].train_loss, ra.history[0].train_loss + 0.5);
  for (const char* f : {"config.json", "palette.json", "metrics.csv", "checkpoint.pt", "samples_epoch_01.png",
                        "samples_epoch_02.png"}) {
    EXPECT_TRUE(fs::exists(a / f)) << f;
  }
}

TEST(Train, ResumeEqualsUninterruptedRun) {
  test::TempDir straight, split;
  auto full = train(small_job(straight.path(), 2));
  train(small_job(split.path(), 1));
  auto resumed = train(test::resume_job(split.path(), 2));
  expect_same_metrics(full.history, resumed.history, 0.0);
  test::expect_identical_runs(straight.path(), split.path());
}

using test::InterruptAt;

TEST(Train, InterruptedRunsResumeToTheSameMetrics) {
  test::TempDir straight;
  auto full = train(small_job(straight.path(), 2));
  // Inside an epoch (batch 2 of 4), at an epoch's end (batch 4 of 4), and in the second epoch.
  for (auto [epoch, batch] : std::vector<std::pair<int, int64_t>>{{1, 2}, {1, 4}, {2, 1}}) {
    SCOPED_TRACE("interrupt at epoch " + std::to_string(epoch) + " batch " + std::to_string(batch));
    test::TempDir split;
    InterruptAt stop(epoch, batch);
    EXPECT_THROW(train(small_job(split.path(), 2), &stop), Interrupted);
    clear_interrupt();
    expect_same_metrics(full.history, train(test::resume_job(split.path())).history, 0.0);
    test::expect_identical_runs(straight.path(), split.path());
  }
}

TEST(Train, ShuffleChangesTheRunAndFixedOrderIsReproducible) {
  test::TempDir a, b;
  auto job = small_job(a.path(), 2);
  job.config.shuffle = false;
  auto fixed = train(job);
  auto shuffled = train(small_job(b.path(), 2));
  EXPECT_NE(fixed.history[1].train_loss, shuffled.history[1].train_loss);
}

TEST(Train, Bf16RunTrainsAndStaysCloseToFp32) {
  test::TempDir a, b;
  auto fp32 = train(small_job(a.path(), 2));
  auto job = small_job(b.path(), 2);
  job.config.precision = "bf16";
  auto bf16 = train(job);
  for (const auto& m : bf16.history) EXPECT_TRUE(std::isfinite(m.train_loss) && std::isfinite(m.val_loss));
  EXPECT_LT(bf16.history[1].train_loss, bf16.history[0].train_loss + 0.1);
  // Two short epochs on 200 images: the two precisions follow the same trajectory up to bf16 rounding.
  EXPECT_NEAR(bf16.history[1].val_loss, fp32.history[1].val_loss, 0.1);
  EXPECT_EQ(CheckpointReader(b / "checkpoint.pt").meta().config.precision, "bf16");
}

TEST(Train, RefusesToOverwriteARunAndImpossibleSettings) {
  test::TempDir a;
  train(small_job(a.path(), 1));
  EXPECT_THROW(train(small_job(a.path(), 1)), Error);
  for (auto mutate : std::vector<std::function<void(TrainConfig&)>>{
           [](TrainConfig& c) { c.batch_size = 0; }, [](TrainConfig& c) { c.learning_rate = 0; },
           [](TrainConfig& c) { c.net.kernel = 0; }, [](TrainConfig& c) { c.epochs = 0; },
           [](TrainConfig& c) { c.model = "nope"; }, [](TrainConfig& c) { c.precision = "fp8"; }}) {
    TrainConfig c;
    mutate(c);
    EXPECT_THROW(validate(c), Error);
  }
}

TEST(Checkpoint, RejectsCorruptFilesAndRestoresWeights) {
  test::TempDir a;
  train(small_job(a.path(), 1));
  CheckpointReader reader(a / "checkpoint.pt");
  EXPECT_EQ(reader.meta().epoch, 1);
  EXPECT_EQ(reader.meta().config.net.num_filters, 8);
  auto model = models::make_model("conv-transpose", reader.meta().config.net);
  reader.restore_model(*model);
  auto r = evaluate_run(a.path(), test::embedded_data_dir());
  EXPECT_NEAR(r.result.loss, reader.meta().history.back().val_loss, 1e-6);

  std::string bytes = read_file(a / "checkpoint.pt");
  test::write_bytes(a / "truncated.pt", bytes.substr(0, bytes.size() / 2));
  test::write_bytes(a / "junk.pt", "not a checkpoint");
  for (const char* name : {"truncated.pt", "junk.pt", "missing.pt"}) {
    try {
      CheckpointReader bad(a / name);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(Config, JsonRoundTripAndRejections) {
  TrainConfig c;
  c.model = "unet";
  c.net.kernel = 5;
  c.learning_rate = 0.01;
  c.shuffle = false;
  auto back = config_from_json(to_json(c), "config.json");
  EXPECT_EQ(to_json(back), to_json(c));
  auto j = to_json(c);
  j["batchsize"] = 3;
  EXPECT_THROW(config_from_json(j, "config.json"), Error);
  j = to_json(c);
  j["epochs"] = "many";
  EXPECT_THROW(config_from_json(j, "config.json"), Error);
  j = to_json(c);
  j["memory_format"] = "nhwc";
  EXPECT_THROW(config_from_json(j, "config.json"), Error);
  j.erase("memory_format");  // runs saved before the setting existed read back with the default
  EXPECT_EQ(memory_format(config_from_json(j, "config.json")), c10::MemoryFormat::ChannelsLast);
  c.memory_format = "contiguous";
  EXPECT_EQ(memory_format(config_from_json(to_json(c), "config.json")), c10::MemoryFormat::Contiguous);
  c.threads = 3;  // recorded threads: round trip, absent reads as 0 (not recorded), bounded
  EXPECT_EQ(config_from_json(to_json(c), "config.json").threads, 3);
  j = to_json(c);
  j.erase("threads");
  EXPECT_EQ(config_from_json(j, "config.json").threads, 0);
  j["threads"] = -1;
  EXPECT_THROW(config_from_json(j, "config.json"), Error);
  j["threads"] = 5000;
  EXPECT_THROW(config_from_json(j, "config.json"), Error);
  j = to_json(c);
  j["batch_size"] = 0;
  try {
    config_from_json(j, "cfg.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json: --batch-size"), std::string::npos) << e.what();
  }
}

TEST(Sweep, ValuesAreCheckedBeforeTraining) {
  TrainConfig c;
  EXPECT_THROW(apply_sweep_value(c, "batch-size", "0"), Error);
  EXPECT_THROW(apply_sweep_value(c, "batch-size", "12x"), Error);
  EXPECT_THROW(apply_sweep_value(c, "colour", "1"), Error);
  apply_sweep_value(c, "kernel", "5");
  EXPECT_EQ(c.net.kernel, 5);
  apply_sweep_value(c, "lr", "0.01");
  EXPECT_DOUBLE_EQ(c.learning_rate, 0.01);
}

}  // namespace
}  // namespace tint::train
