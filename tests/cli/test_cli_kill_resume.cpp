// End-to-end interruption of the real binary: `tint train` killed with SIGKILL at random moments (seeded) leaves a
// loadable checkpoint.pt and a whole metrics.csv every time; resuming until done gives the metrics of an uninterrupted
// run. SIGINT stops it with exit status 130 and a message naming `--resume`, and that run resumes to the same metrics.
//
// Children run with --threads 1 so that the test stays cheap on busy machines and every run does the same arithmetic.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/palette.h"
#include "tint/runs/run_kind.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/metrics.h"
#include "tint/train/trainer.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using train::EpochMetrics;

constexpr int kEpochs = 5;

std::vector<std::string> fresh_args(const fs::path& palette, const fs::path& run) {
  return {"train",
          "--num-filters",
          "8",
          "--train-limit",
          "300",
          "--val-limit",
          "50",
          "--batch-size",
          "25",
          "--epochs",
          std::to_string(kEpochs),
          "--samples",
          "4",
          "--threads",
          "1",
          "--palette",
          palette.string(),
          "--out",
          run.string()};
}

std::vector<std::string> resume_args(const fs::path& run) {
  return {"train", "--resume", run.string(), "--threads", "1"};
}

// Parses metrics.csv strictly: the exact header, then one row per epoch (1, 2, ...) of five finite numbers.
// Returns the rows, or sets `error` to what is wrong.
std::vector<EpochMetrics> parse_metrics(const std::string& text, std::string& error) {
  std::vector<EpochMetrics> rows;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != "epoch,train_loss,val_loss,val_acc,seconds") {
    error = "bad header '" + line + "'";
    return {};
  }
  while (std::getline(in, line)) {
    std::vector<double> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) {
      size_t used = 0;
      try {
        cells.push_back(std::stod(cell, &used));
      } catch (const std::exception&) {
        used = std::string::npos;
      }
      if (used != cell.size() || !std::isfinite(cells.back())) {
        error = "bad cell '" + cell + "' in line '" + line + "'";
        return {};
      }
    }
    if (cells.size() != 5 || cells[0] != static_cast<double>(rows.size() + 1)) {
      error = "bad row '" + line + "' (expected epoch " + std::to_string(rows.size() + 1) + " and 5 cells)";
      return {};
    }
    rows.push_back({static_cast<int>(cells[0]), cells[1], cells[2], cells[3], cells[4]});
  }
  if (text.empty() || text.back() != '\n') error = "no final newline (a partial write?)";
  return rows;
}

void expect_same_metrics(const std::vector<EpochMetrics>& want, const std::vector<EpochMetrics>& got, double tol) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("epoch " + std::to_string(i + 1));
    EXPECT_EQ(want[i].epoch, got[i].epoch);
    EXPECT_NEAR(want[i].train_loss, got[i].train_loss, tol);
    EXPECT_NEAR(want[i].val_loss, got[i].val_loss, tol);
    EXPECT_NEAR(want[i].val_acc, got[i].val_acc, tol);
  }
}

std::vector<EpochMetrics> read_metrics(const fs::path& csv) {
  std::string error;
  auto rows = parse_metrics(read_file(csv), error);
  EXPECT_EQ(error, "") << csv;
  return rows;
}

// What a killed run left behind must be usable: checkpoint.pt loads with its model and optimizer state, metrics.csv
// is whole and agrees with the checkpoint's history (it is written just before the checkpoint, so it may be one
// epoch ahead), and config.json / palette.json parse. Returns the checkpoint's epoch (-1 when there is none yet).
int expect_valid_run_dir(const fs::path& run) {
  int epoch = -1;
  std::vector<EpochMetrics> history;
  if (fs::exists(run / "checkpoint.pt")) {
    try {
      train::CheckpointReader reader(run / "checkpoint.pt");
      auto model = train::load_model(reader);
      torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
      reader.restore_optimizer(optimizer);
      epoch = reader.meta().epoch;
      history = reader.meta().history;
      EXPECT_EQ(history.size(), static_cast<size_t>(epoch));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "checkpoint.pt unreadable after a kill: " << e.what();
    }
  }
  if (fs::exists(run / "metrics.csv")) {
    auto rows = read_metrics(run / "metrics.csv");
    EXPECT_GE(rows.size(), 1u);
    if (epoch >= 0) {
      EXPECT_TRUE(rows.size() == history.size() || rows.size() == history.size() + 1)
          << rows.size() << " rows in metrics.csv, checkpoint at epoch " << epoch;
      rows.resize(std::min(rows.size(), history.size()));
      expect_same_metrics(history, rows, 1e-6);
    }
  }
  if (fs::exists(run / "palette.json")) {
    EXPECT_NO_THROW(data::Palette::load(run / "palette.json"));
  }
  if (fs::exists(run / "config.json")) {
    EXPECT_NO_THROW(train::config_from_json(runs::read_config(run, runs::RunKind::colourization), "config.json"));
  }
  return epoch;
}

class KillResume : public ::testing::Test {
 protected:
  // One palette and one uninterrupted run (the reference), shared by the tests of this suite.
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("tint-kill");
    auto r = test::run_tint("palette --max-iterations 20 --threads 1 --out '" + dir_->path().string() + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto t0 = Clock::now();
    test::TintProcess straight(fresh_args(palette(), reference_dir()), *dir_ / "straight.out", *dir_ / "straight.err");
    auto end = straight.wait();
    ASSERT_TRUE(end.exited && end.exit_code == 0) << read_file(*dir_ / "straight.err");
    run_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
    reference_ = read_metrics(reference_dir() / "metrics.csv");
    ASSERT_EQ(reference_.size(), static_cast<size_t>(kEpochs));
    // Resuming a finished run loads everything and trains nothing: the start-up time of a child.
    const auto t1 = Clock::now();
    test::TintProcess finished(resume_args(reference_dir()), *dir_ / "finished.out", *dir_ / "finished.err");
    end = finished.wait();
    ASSERT_TRUE(end.exited && end.exit_code == 0) << read_file(*dir_ / "finished.err");
    startup_seconds_ = std::chrono::duration<double>(Clock::now() - t1).count();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path palette() { return *dir_ / "palette.json"; }
  static fs::path reference_dir() { return *dir_ / "straight"; }

  static test::TempDir* dir_;
  static double run_seconds_;      // wall time of the uninterrupted run, start-up included
  static double startup_seconds_;  // wall time of a child that loads everything and trains nothing
  static std::vector<EpochMetrics> reference_;
};
test::TempDir* KillResume::dir_ = nullptr;
double KillResume::run_seconds_ = 0.0;
double KillResume::startup_seconds_ = 0.0;
std::vector<EpochMetrics> KillResume::reference_;

// Waits until `process` ends or `seconds` pass; true if it ended.
bool ends_within(test::TintProcess& process, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (!process.running()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return !process.running();
}

TEST_F(KillResume, SigkillAtRandomMomentsThenResumeGivesTheUninterruptedMetrics) {
  test::TempDir tmp("tint-kill-run");
  const fs::path run = tmp / "run";
  // Each child is killed at a random moment of its expected lifetime (start-up plus the epochs it has left, timed on
  // the uninterrupted run): during start-up, inside epochs, and while an epoch's files are written.
  // Seeded, so a failure replays with the same schedule (the timing itself still varies with load).
  const double epoch_seconds = std::max(0.01, (run_seconds_ - startup_seconds_) / kEpochs);  // files included
  std::mt19937 rng(20261127);
  constexpr int kPlannedKills = 6;
  int kills = 0, starts = 0;
  std::vector<int> checkpoint_epochs;
  for (;;) {
    ASSERT_LT(starts, 20) << "the run never finished";
    // Before the first checkpoint there is nothing to resume: start the same command again.
    const bool resume = fs::exists(run / "checkpoint.pt");
    const int epochs_left = kEpochs - (checkpoint_epochs.empty() ? 0 : std::max(0, checkpoint_epochs.back()));
    test::TintProcess child(resume ? resume_args(run) : fresh_args(palette(), run), tmp / "out", tmp / "err");
    ++starts;
    if (kills < kPlannedKills) {
      // One kill in four during start-up (reading data, loading the checkpoint), the others during training.
      using Uniform = std::uniform_real_distribution<double>;
      const double at = Uniform(0.0, 1.0)(rng) < 0.25
                            ? Uniform(0.01, startup_seconds_)(rng)
                            : startup_seconds_ + Uniform(0.0, 0.6 * epochs_left * epoch_seconds)(rng);
      if (!ends_within(child, at)) {
        child.signal(SIGKILL);
        auto end = child.wait();
        if (end.exited) {  // it finished between the last look and the signal
          ASSERT_EQ(end.exit_code, 0) << read_file(tmp / "err");
          break;
        }
        EXPECT_EQ(end.signal, SIGKILL);
        ++kills;
        SCOPED_TRACE("after kill " + std::to_string(kills) + " at " + std::to_string(at) + " s");
        checkpoint_epochs.push_back(expect_valid_run_dir(run));
        continue;
      }
    }
    auto end = child.wait();
    ASSERT_TRUE(end.exited && end.exit_code == 0)
        << (resume ? "resumed" : "fresh") << " run failed: " << read_file(tmp / "err");
    if (resume) {
      EXPECT_NE(read_file(tmp / "out").find("resuming " + run.string()), std::string::npos)
          << "the last start did not take the resume path";
    }
    break;
  }
  std::string epochs;
  for (int e : checkpoint_epochs) epochs += std::to_string(e) + " ";
  RecordProperty("kills", kills);
  RecordProperty("checkpoint_epochs_after_kills", epochs);
  // Almost every child outlives its moment (drawn from the first 60 % of its expected time); allow for load making
  // the timing estimate wrong a few times. The moments around the checkpoint's rename are hit on purpose below.
  EXPECT_GE(kills, 4) << "too few kills hit a running process (" << starts << " starts)";
  EXPECT_EQ(expect_valid_run_dir(run), kEpochs);
  test::expect_identical_runs(reference_dir(), run);  // metrics.csv byte for byte, weights and Adam state bit for bit
}

// The moments that matter, hit on purpose rather than by luck: SIGKILL just before and just after the rename that
// publishes checkpoint.pt (a test-only hook in core/atomic_file.cpp), at the first and the third checkpoint. What is
// left must be a valid run directory; the next start must take the resume path (or start afresh when no checkpoint
// was published yet) and end with exactly the uninterrupted run.
TEST_F(KillResume, KillsJustBeforeAndAfterTheCheckpointRenameResumeExactly) {
  for (const char* moment : {"before", "after"}) {
    for (int nth : {1, 3}) {
      SCOPED_TRACE(fmt::format("killed {} the rename of checkpoint #{}", moment, nth));
      test::TempDir tmp("tint-rename-kill");
      const fs::path run = tmp / "run";
      std::string args;
      for (const auto& a : fresh_args(palette(), run)) args += "'" + a + "' ";
      const auto killed = test::run_tint(args, test::kill_at_rename_env("checkpoint.pt", moment, nth));
      ASSERT_TRUE(killed.exit_code == 137 || killed.exit_code == -1)
          << "expected death by SIGKILL, got exit " << killed.exit_code << ": " << killed.err;
      const int saved = expect_valid_run_dir(run);
      // Before the n-th rename the checkpoint of epoch n - 1 is the one on disk; after it, epoch n's.
      EXPECT_EQ(saved, std::string(moment) == "before" ? (nth == 1 ? -1 : nth - 1) : nth);
      std::string again;
      for (const auto& a : saved < 0 ? fresh_args(palette(), run) : resume_args(run)) again += "'" + a + "' ";
      const auto finished = test::run_tint(again);
      ASSERT_EQ(finished.exit_code, 0) << finished.err;
      if (saved >= 0) {
        EXPECT_NE(finished.out.find(fmt::format("resuming {} at epoch {}", run.string(), saved + 1)), std::string::npos)
            << "the resume path did not run: " << finished.out;
      }
      test::expect_identical_runs(reference_dir(), run);
    }
  }
}

// A second signal while the first is being handled quits at once (the user insists): the process leaves through
// _exit(128 + the signal handled second) without the graceful stop's checkpoint and its "interrupted ... checkpoint
// saved" line, and what is on disk is still a valid run directory. The kernel may hand the two pending signals over
// in either order, so the status is 130 or 143; the missing line is what tells the two paths apart.
TEST_F(KillResume, ASecondSignalQuitsAtOnce) {
  test::TempDir tmp("tint-twice-run");
  const fs::path run = tmp / "run";
  test::TintProcess child(fresh_args(palette(), run), tmp / "out", tmp / "err");
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (!fs::exists(run / "checkpoint.pt") && child.running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(child.running()) << "the run ended before it could be interrupted: " << read_file(tmp / "err");
  child.signal(SIGINT);
  child.signal(SIGTERM);
  const auto end = child.wait();
  ASSERT_TRUE(end.exited) << "killed by signal " << end.signal;
  EXPECT_TRUE(end.exit_code == 128 + SIGINT || end.exit_code == 128 + SIGTERM) << end.exit_code;
  EXPECT_EQ(read_file(tmp / "err"), "") << "the graceful stop ran instead of the immediate exit";
  EXPECT_GE(expect_valid_run_dir(run), 1);
}

// SIGINT (Ctrl-C) and SIGTERM (what kill, systemd and job schedulers send) both stop at the next batch, save a
// checkpoint, exit 130 with one line saying how to resume, and the resumed run is the uninterrupted one.
TEST_F(KillResume, SigintAndSigtermSaveACheckpointExitWith130AndResume) {
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig == SIGINT ? "SIGINT" : "SIGTERM");
    test::TempDir tmp("tint-int-run");
    const fs::path run = tmp / "run";
    test::TintProcess child(fresh_args(palette(), run), tmp / "out", tmp / "err");
    // Once epoch 1's checkpoint exists the run is inside epoch 2 of 5: the signal lands mid-run.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!fs::exists(run / "checkpoint.pt") && child.running() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(child.running()) << "the run ended before it could be interrupted: " << read_file(tmp / "err");
    child.signal(sig);
    auto end = child.wait();
    const std::string err = read_file(tmp / "err");
    ASSERT_TRUE(end.exited) << "killed by signal " << end.signal;
    EXPECT_EQ(end.exit_code, 130) << err;
    EXPECT_NE(err.find("tint train --resume " + run.string()), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_GE(expect_valid_run_dir(run), 1);

    auto resumed = test::run_tint("train --resume '" + run.string() + "' --threads 1");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    test::expect_identical_runs(reference_dir(), run);  // metrics.csv byte for byte, weights and Adam state exactly
  }
}

}  // namespace
}  // namespace tint
