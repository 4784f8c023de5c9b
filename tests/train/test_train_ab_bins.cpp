// Training with ab-bins targets end to end on a few embedded horses: the run directory (ab_bins.json, the bins in
// the checkpoint, num_colours = Q, colour columns in metrics.csv), resuming (after an epoch and from inside one)
// exactly as the uninterrupted run, `evaluate_run` against the run's own last epoch and on another category,
// --category all over a data set of two classes, and a sweep of --target.
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/train/checkpoint.h"
#include "tint/train/experiments.h"
#include "tint/train/run_dir.h"
#include "tint/train/trainer.h"

namespace tint::train {
namespace train_ab_bins_test {
namespace {
namespace fs = std::filesystem;

TrainJob ab_job(const fs::path& run_dir, int epochs) {
  TrainJob job;
  job.config.target = ColourTarget::ab_bins;
  job.config.soft_targets = 5.0;
  job.config.rebalance = 0.5;
  job.config.net.num_filters = 8;
  job.config.epochs = epochs;
  job.config.batch_size = 25;
  job.config.train_limit = 50;
  job.config.val_limit = 20;
  job.config.sample_count = 3;
  job.data_dir = test::embedded_data_dir();
  job.run_dir = run_dir;
  return job;
}

using test::InterruptAt;
using test::resume_job;

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(TrainAbBins, WritesItsBinsAndResumesExactly) {
  test::TempDir straight, split, interrupted;
  auto full = train(ab_job(straight.path(), 2));
  // The bins: fitted to the 50 training images, saved beside the run, in the checkpoint, and one logit each.
  const auto bins = data::AbBins::load(straight / "ab_bins.json");
  auto horses = data::read_cifar10(test::embedded_data_dir(), data::Split::Train).images.slice(0, 0, 50);
  EXPECT_TRUE(bins.centres().equal(fit_ab_bins(horses).centres()));
  EXPECT_FALSE(fs::exists(straight / "palette.json"));
  CheckpointReader reader(straight / "checkpoint.pt");
  EXPECT_EQ(reader.meta().config.target, ColourTarget::ab_bins);
  EXPECT_EQ(reader.meta().config.net.num_colours, bins.size());
  EXPECT_TRUE(reader.meta().bins.prior().equal(bins.prior()));
  EXPECT_EQ(nlohmann::json::parse(read_file(straight / "config.json")).at("num_colours"), bins.size());
  // Every epoch has colour scores, in metrics.csv before the seconds.
  EXPECT_EQ(first_line(straight / "metrics.csv"),
            "epoch,train_loss,val_loss,val_acc,val_auc,val_auc_rebalanced,val_psnr,val_colourfulness,"
            "truth_colourfulness,seconds");
  ASSERT_EQ(full.history.size(), 2u);
  for (const auto& m : full.history) {
    ASSERT_TRUE(m.colour.has_value());
    EXPECT_GT(m.colour->auc, 50.0);
    EXPECT_LE(m.colour->auc, 100.0);
    EXPECT_GT(m.colour->truth_colourfulness, 0.0);
  }
  const auto csv = read_metrics_csv(straight / "metrics.csv");
  EXPECT_NEAR(csv.back().colour->psnr, full.history.back().colour->psnr, 1e-8);
  // The samples figure: three rows (grey, truth, prediction) of 3 images at scale 2.
  EXPECT_EQ(data::read_image(straight / "samples_epoch_02.png").sizes(),
            (std::vector<int64_t>{3, 2 + 3 * 66, 2 + 3 * 66}));

  // After a whole epoch, and from inside one (batch 1 of 2): the same run, bit for bit.
  train(ab_job(split.path(), 1));
  train(resume_job(split.path(), 2));
  test::expect_identical_runs(straight.path(), split.path());
  InterruptAt stop(1, 1);
  EXPECT_THROW(train(ab_job(interrupted.path(), 2), &stop), Interrupted);
  clear_interrupt();
  train(resume_job(interrupted.path()));
  test::expect_identical_runs(straight.path(), interrupted.path());

  // `tint evaluate` computes what the last epoch recorded, and other decodings differ.
  auto e = evaluate_run(straight.path(), test::embedded_data_dir());
  const auto& last = full.history.back();
  EXPECT_EQ(e.target, ColourTarget::ab_bins);
  EXPECT_EQ(e.classes, bins.size());
  EXPECT_EQ(e.images, 20);
  EXPECT_NEAR(e.result.loss, last.val_loss, 1e-6);
  EXPECT_NEAR(e.result.accuracy, last.val_acc, 1e-9);
  EXPECT_NEAR(e.result.colour->auc, last.colour->auc, 1e-9);
  EXPECT_NEAR(e.result.colour->psnr, last.colour->psnr, 1e-9);
  EvaluateRunOptions mode;
  mode.decoding = data::AbDecoding{data::AbDecode::Mode, 0.38};
  mode.limit = 10;
  auto m = evaluate_run(straight.path(), test::embedded_data_dir(), mode);
  EXPECT_EQ(m.images, 10);
  EXPECT_NE(m.result.colour->auc, e.result.colour->auc);
}

// A data set of two classes in the subset layout: the embedded horses, every other one relabelled deer (4).
fs::path two_class_data(const test::TempDir& dir) {
  const fs::path out = dir / "two-classes";
  fs::create_directories(out);
  for (const char* file : {"train.bin", "test.bin"}) {
    std::string bytes = read_file(test::embedded_data_dir() / file).substr(0, 60 * data::kRecordBytes);
    for (int64_t r = 1; r < 60; r += 2) bytes[static_cast<size_t>(r * data::kRecordBytes)] = 4;
    test::write_bytes(out / file, bytes);
  }
  fs::copy_file(test::embedded_data_dir() / "batches.meta.txt", out / "batches.meta.txt");
  return out;
}

TEST(TrainAbBins, CategoryAllTrainsOnEveryClassAndEvaluateTakesAnother) {
  test::TempDir tmp;
  const auto data_dir = two_class_data(tmp);
  for (const auto target : {ColourTarget::palette, ColourTarget::ab_bins}) {
    SCOPED_TRACE(to_string(target));
    TrainJob job = ab_job(tmp / ("all-" + to_string(target)), 1);
    job.config.target = target;
    if (job.config.target == ColourTarget::palette) job.config.soft_targets = job.config.rebalance = 0.0;
    job.config.category = "all";
    job.config.train_limit = job.config.val_limit = 0;
    job.config.kmeans_iterations = 10;
    job.data_dir = data_dir;
    auto r = train(job);
    EXPECT_EQ(r.train_images, 60);
    EXPECT_EQ(r.val_images, 60);
    EvaluateRunOptions deer;
    deer.category = "deer";
    auto e = evaluate_run(job.run_dir, data_dir, deer);
    EXPECT_EQ(e.images, 30);
    EXPECT_TRUE(e.other_category);
    EXPECT_NE(format_evaluation(e).find("30 'deer' validation images"), std::string::npos) << format_evaluation(e);
  }
  // The palette of an all-class run is fitted over all classes, and says so.
  EXPECT_EQ(nlohmann::json::parse(read_file(tmp / "all-palette" / "palette.json")).at("category"), "all");
  EvaluateRunOptions zebra;
  zebra.category = "zebra";
  EXPECT_NE(
      test::error_of([&] { evaluate_run(tmp / "all-palette", data_dir, zebra); }).find("unknown category 'zebra'"),
      std::string::npos);
  EvaluateRunOptions decode;
  decode.decoding = data::AbDecoding{};
  EXPECT_NE(test::error_of([&] {
              evaluate_run(tmp / "all-palette", data_dir, decode);
            }).find("--decode and --temperature apply to ab-bins runs"),
            std::string::npos);
}

TEST(TrainAbBins, ASweepOfTheTargetComparesBoth) {
  test::TempDir tmp;
  SweepJob job;
  job.base = ab_job(tmp.path(), 1).config;
  job.base.target = ColourTarget::palette;
  job.base.soft_targets = job.base.rebalance = 0.0;
  // A palette of a few horses (fitting one to all 5,000 would take most of the test's time).
  auto horses = data::read_cifar10(test::embedded_data_dir(), data::Split::Train).images.slice(0, 0, 100);
  data::Palette::fit(horses, {24, 0, 20}, "horse").save(tmp / "palette.json");
  job.base.palette_file = tmp / "palette.json";
  job.parameter = "target";
  job.values = {"palette", "ab-bins"};
  job.data_dir = test::embedded_data_dir();
  job.out_dir = tmp / "sweep";
  auto runs = run_sweep(job);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_TRUE(fs::exists(tmp / "sweep" / "target-palette" / "palette.json"));
  EXPECT_TRUE(fs::exists(tmp / "sweep" / "target-ab-bins" / "ab_bins.json"));
  EXPECT_TRUE(runs[1].history.back().colour.has_value());
  EXPECT_FALSE(runs[0].history.back().colour.has_value());
  // grey, truth, and one row per run
  EXPECT_EQ(data::read_image(tmp / "sweep" / "samples.png").size(1), 2 + 4 * 66);
  // Values the base's target cannot use are refused before any training.
  job.parameter = "rebalance";
  job.values = {"0", "0.5"};
  job.out_dir = tmp / "refused";
  EXPECT_NE(test::error_of([&] { run_sweep(job); }).find("rebalance 0.5: --rebalance applies to --target ab-bins"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "refused"));
}

}  // namespace
}  // namespace train_ab_bins_test
}  // namespace tint::train
