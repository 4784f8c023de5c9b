// The readers of a detection run (detect/fine_tune.h): metrics.csv, which `tint report` reads, and the checkpoint's
// position and history, which `tint detect train --resume` reads before anything else. Epochs are whole numbers from 0
// (row 0: the model before training) that fit an int; a cell of 1e10 or nan, or a history epoch of 1e300, was cast to
// int (undefined behaviour), as the colourization readers' epochs were (core/whole_number.h; found there by
// fuzz/fuzz_metrics_csv.cpp and fuzz/fuzz_checkpoint.cpp).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/checkpoint_archive.h"
#include "tint/detect/fine_tune.h"

namespace tint::detect {
namespace {
namespace fs = std::filesystem;

const std::string kHeader = "epoch,box_loss,obj_loss,cls_loss,train_loss,map50,map50_95,precision,recall,seconds\n";
const std::string kBefore = "0,nan,nan,nan,nan,40.1,20.5,0.61,0.42,0\n";  // row 0, as fine_tune writes it

TEST(DetectRunReaders, MetricsCsvEpochsAreWholeNumbersFromZero) {
  test::TempDir tmp;
  const fs::path csv = tmp / "metrics.csv";
  for (const char* epoch : {"1e10", "nan", "inf", "-1", "1.5", "2147483648"}) {
    SCOPED_TRACE(epoch);
    write_file_atomic(csv, kHeader + kBefore + epoch + ",0.05,0.12,0.01,0.18,41.7,21.2,0.63,0.44,12.5\n");
    EXPECT_EQ(test::error_of([&] { read_detect_metrics(csv); }),
              csv.string() + ":3: column 'epoch' holds '" + epoch + "', not an epoch number (0, 1, ...)");
  }
  write_file_atomic(csv, kHeader + kBefore + "2147483647,0.05,0.12,0.01,0.18,41.7,21.2,0.63,0.44,12.5\n");
  const auto rows = read_detect_metrics(csv);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].epoch, 0);
  EXPECT_TRUE(std::isnan(rows[0].box_loss));
  EXPECT_EQ(rows[1].epoch, 2147483647);
  EXPECT_EQ(rows[1].seconds, 12.5);
}

// A detection checkpoint as fine_tune writes one, with the given epoch count and history (JSON, nulls for NaN); the
// weights and optimizer state of a stand-in module, which --resume reads only after the fields.
void write_checkpoint(const fs::path& path, int64_t epoch, const nlohmann::json& history) {
  auto module = torch::nn::Linear(2, 1);
  torch::optim::Adam adam(module->parameters(), torch::optim::AdamOptions(1e-3));
  FineTuneConfig config;
  config.data = "data";  // read first, and required; the folder is not looked at before the fields are read
  CheckpointWriter writer("tint-detect-checkpoint", 1);
  writer.put("config", to_json(config));
  writer.put("epoch", epoch);
  writer.put("batches_done", int64_t{0});
  writer.put("sums", nlohmann::json::array({0.0, 0.0, 0.0, 0.0}));
  writer.put("history", history);
  writer.put_state(*module, adam);
  writer.save(path);
}

std::string resume_error(const fs::path& dir) {
  FineTuneJob job;
  job.run_dir = dir;
  job.resume = true;
  return test::error_of([&] { fine_tune(job); });
}

TEST(DetectRunReaders, CheckpointEpochsAreWholeNumbersFromZero) {
  test::TempDir tmp;
  const std::string file = (tmp / "checkpoint.pt").string();
  const auto row = [](const nlohmann::json& epoch) {
    return nlohmann::json::array({epoch, nullptr, nullptr, nullptr, nullptr, 40.1, 20.5, 0.61, 0.42, 0.0});
  };
  write_checkpoint(tmp / "checkpoint.pt", 1, nlohmann::json::array({row(0.0), row(1e300)}));
  EXPECT_EQ(resume_error(tmp.path()),
            file + ": damaged checkpoint (a history row's epoch is 1e+300, expected a whole number from 0)");
  write_checkpoint(tmp / "checkpoint.pt", 1, nlohmann::json::array({row(nullptr)}));
  EXPECT_EQ(resume_error(tmp.path()),
            file + ": damaged checkpoint (a history row's epoch is nan, expected a whole number from 0)");
  write_checkpoint(tmp / "checkpoint.pt", int64_t{1} << 40, nlohmann::json::array({row(0.0)}));
  EXPECT_EQ(resume_error(tmp.path()), file + ": checkpoint has no valid 'epoch' (an integer in 0..2147483647)");
}

// config.json records the resampling a run trains with; one written before the key existed trained on antialiased
// inputs and reads so (a resumed run then goes on as it started).
TEST(DetectRunReaders, ConfigRecordsTheResamplingAndOldRunsReadAsAntialias) {
  FineTuneConfig config;
  config.data = "data";
  EXPECT_EQ(config.resample, Resample::darknet);
  auto j = to_json(config);
  EXPECT_EQ(j.at("resample"), "darknet");
  EXPECT_EQ(fine_tune_config_from_json(j, "config.json").resample, Resample::darknet);
  j["resample"] = "antialias";
  EXPECT_EQ(fine_tune_config_from_json(j, "config.json").resample, Resample::antialias);
  j.erase("resample");
  EXPECT_EQ(fine_tune_config_from_json(j, "config.json").resample, Resample::antialias);
  j["resample"] = "nearest";
  EXPECT_EQ(test::error_of([&] { fine_tune_config_from_json(j, "config.json"); }),
            "config.json: --resample must be one of darknet, antialias, got 'nearest'");
}

}  // namespace
}  // namespace tint::detect
