// A real SIGINT sent to a running `tint train`: it exits with 130 naming --resume, and the resumed run (same thread
// count) ends with exactly the metrics of an uninterrupted run (every column of metrics.csv but the seconds).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

// metrics.csv without its last column (seconds), which is the only one allowed to differ between runs.
std::string metrics_without_seconds(const fs::path& run) {
  std::istringstream in(read_file(run / "metrics.csv"));
  std::string out;
  for (std::string line; std::getline(in, line);) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

TEST(CliInterrupt, SigintSavesACheckpointAndTheResumedRunMatches) {
  test::TempDir tmp;
  ASSERT_EQ(run_tint("palette --max-iterations 20 --out '" + tmp.path().string() + "'").exit_code, 0);
  // One thread throughout: results are reproducible for a given thread count.
  const std::string flags = "--num-filters 8 --train-limit 200 --val-limit 40 --batch-size 20 --epochs 3 --samples 2 "
                            "--threads 1 --palette '" + (tmp / "palette.json").string() + "'";
  auto straight = run_tint("train " + flags + " --out '" + (tmp / "straight").string() + "'");
  ASSERT_EQ(straight.exit_code, 0) << straight.err;

  const fs::path run = tmp / "interrupted";
  const std::string command = "exec '" + test::tint_binary() + "' train " + flags + " --out '" + run.string() +
                              "' 2>'" + (tmp / "err").string() + "' >/dev/null";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Interrupt once the first epoch is on disk, i.e. while the run goes on.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(run / "metrics.csv") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  const std::string err = read_file(tmp / "err");
  ASSERT_EQ(WEXITSTATUS(status), 130) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;

  auto resumed = run_tint("train --threads 1 --resume '" + run.string() + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
  EXPECT_EQ(metrics_without_seconds(run), metrics_without_seconds(tmp / "straight"));
}

}  // namespace
}  // namespace tint
