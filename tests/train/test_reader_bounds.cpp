// Epoch numbers as the readers of a run take them (found by fuzz/fuzz_metrics_csv.cpp and fuzz/fuzz_checkpoint.cpp):
// metrics.csv's epoch column, a checkpoint's history rows and its epoch count are whole numbers in int's range, from 1
// (the history, metrics.csv) or 0 (the epochs a checkpoint has done). Casting 1e10 or 1e300 to int was undefined
// behaviour (UBSan: float-cast-overflow); 2^40 was cut to another number. Also the epochs in sample images' names.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/checkpoint_archive.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/metrics.h"
#include "tint/train/run_dir.h"

namespace tint::train {
namespace {
namespace fs = std::filesystem;

TEST(ReaderBounds, MetricsCsvEpochsAreWholeNumbersFromOne) {
  test::TempDir tmp;
  const fs::path csv = tmp / "metrics.csv";
  // (tests/data/test_fuzz_regressions.cpp reads the fuzzer's file with 1e10.)
  for (const char* epoch : {"1e11", "0", "1.5", "-3", "2147483648", "-2147483649"}) {
    SCOPED_TRACE(epoch);
    write_file_atomic(csv, std::string("epoch,train_loss,val_loss,val_acc,seconds\n") + epoch + ",1.5,1.4,40,2\n");
    EXPECT_EQ(test::error_of([&] { read_metrics_csv(csv); }),
              csv.string() + ":2: column 'epoch' holds '" + epoch + "', not an epoch number (1, 2, ...)");
  }
  write_file_atomic(csv, "epoch,train_loss,val_loss,val_acc,seconds\n2147483647,1.5,1.4,40,2\n");
  EXPECT_EQ(read_metrics_csv(csv).at(0).epoch, 2147483647);
}

// The reason of the nlohmann exception history_from_json throws (CheckpointReader adds it to its message).
std::string history_error(const std::string& rows) {
  try {
    history_from_json(nlohmann::json::parse(rows));
  } catch (const nlohmann::json::exception& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(ReaderBounds, HistoryRowsStartWithAnIntegerEpochFromOne) {
  const std::string prefix = "[json.exception.type_error.302] ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[[1e300, 1, 1, 1, 1]]",
       "history row 1 does not start with its epoch, an integer from 1 (it starts with 1e+300)"},
      {"[[1, 1, 1, 1, 1], [1.0, 1, 1, 1, 1]]",
       "history row 2 does not start with its epoch, an integer from 1 (it "
       "starts with 1.0)"},
      {"[[0, 1, 1, 1, 1]]", "history row 1 does not start with its epoch, an integer from 1 (it starts with 0)"},
      {"[[2147483648, 1, 1, 1, 1]]",
       "history row 1 does not start with its epoch, an integer from 1 (it starts with 2147483648)"},
      {"[[18446744073709551615, 1, 1, 1, 1]]",
       "history row 1 does not start with its epoch, an integer from 1 (it starts with 18446744073709551615)"},
      {"[[]]", "history row 1 does not start with its epoch, an integer from 1 (it is [])"},
      {"[3]", "history row 1 does not start with its epoch, an integer from 1 (it is 3)"}};
  for (const auto& [rows, reason] : cases) EXPECT_EQ(history_error(rows), prefix + reason) << rows;
  const auto history = history_from_json(nlohmann::json::parse("[[7, 1, 2, 3, 4], [2147483647, 1, 2, 3, 4]]"));
  EXPECT_EQ(history.at(0).epoch, 7);
  EXPECT_EQ(history.at(1).epoch, 2147483647);
}

// A checkpoint written field by field, as train/checkpoint.cpp writes one ("tint-checkpoint", version 1), with the
// given epoch count and history.
void write_checkpoint(const fs::path& path, int64_t epoch, const nlohmann::json& history) {
  TrainConfig config;
  config.net.num_filters = 2;
  config.net.num_colours = 3;
  auto model = models::make_model(config.model, network_config(config));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  CheckpointWriter writer("tint-checkpoint", 1);
  writer.put("epoch", epoch);
  writer.put("config", to_json(config));
  writer.put("palette", data::Palette(torch::rand({3, 3})).to_json());
  writer.put("history", history);
  writer.put("batches_done", int64_t{0});
  writer.put("partial_loss_sum", 0.0);
  writer.put_state(*model, adam);
  writer.save(path);
}

TEST(ReaderBounds, CheckpointEpochsFitAnInt) {
  test::TempDir tmp;
  const fs::path file = tmp / "checkpoint.pt";
  write_checkpoint(file, int64_t{1} << 40, nlohmann::json::array());
  EXPECT_EQ(test::error_of([&] { CheckpointReader reader(file); }),
            file.string() + ": checkpoint has no valid 'epoch' (an integer in 0..2147483647)");
  // (tests/data/test_fuzz_regressions.cpp reads the fuzzer's history with an epoch of 1e300.)
  write_checkpoint(file, 1, nlohmann::json::parse("[[1, 1.2, 1.1, 37.0, 0.01], [2.5, 1.2, 1.1, 37.0, 0.01]]"));
  EXPECT_EQ(test::error_of([&] { CheckpointReader reader(file); }),
            file.string() +
                ": corrupt 'history' in checkpoint (history row 2 does not start with its epoch, an "
                "integer from 1 (it starts with 2.5))");
  write_checkpoint(file, 1, nlohmann::json::parse("[[1, 1.2, 1.1, 37.0, 0.01]]"));
  EXPECT_EQ(CheckpointReader(file).meta().history.at(0).epoch, 1);
}

// Sample images are found by name (samples_epoch_<epoch>.png): a number past int (std::stoi threw std::out_of_range,
// which `tint report` printed as "stoi") is no sample of the run's.
TEST(ReaderBounds, SampleNamesPastIntAreNotSamples) {
  test::TempDir tmp;
  write_file_atomic(tmp / "config.json", to_json(TrainConfig{}).dump());
  write_file_atomic(tmp / "metrics.csv", "epoch,train_loss,val_loss,val_acc,seconds\n1,1.5,1.4,40,2\n");
  for (const char* name : {"samples_epoch_01.png", "samples_epoch_2147483647.png", "samples_epoch_2147483648.png",
                           "samples_epoch_99999999999.png"})
    write_file_atomic(tmp / name, "");
  const auto run = read_run(tmp.path(), "run");
  EXPECT_EQ(run.samples, (std::vector<std::pair<int, fs::path>>{{1, tmp / "samples_epoch_01.png"},
                                                                {2147483647, tmp / "samples_epoch_2147483647.png"}}));
}

}  // namespace
}  // namespace tint::train
