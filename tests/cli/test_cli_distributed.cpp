// Data-parallel `tint train` end to end, all traffic on loopback: --nproc workers against one process, workers started
// from the torchrun environment on two loopback addresses, a worker killed mid-epoch, Ctrl-C on the launcher, and
// resuming with another number of workers; what a local run exposes to the network and leaves behind when its
// launcher is killed; workers that cannot reach each other, and workers started with LOCAL_RANK alone.
#include <sys/prctl.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/listening_sockets.h"
#include "support/small_run.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/runtime.h"
#include "tint/distributed/launcher.h"
#include "tint/train/checkpoint.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Row {
  double train_loss, val_loss, val_acc;
};

std::vector<Row> metrics(const fs::path& run) {
  std::istringstream in(read_file(run / "metrics.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    Row r{};
    int epoch = 0;
    EXPECT_EQ(std::sscanf(line.c_str(), "%d,%lf,%lf,%lf", &epoch, &r.train_loss, &r.val_loss, &r.val_acc), 4) << line;
    rows.push_back(r);
  }
  return rows;
}

// Splits "a b 'c d'" as run_tint's shell would (the args hold no other quoting).
std::vector<std::string> split_args(const std::string& args) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false, any = false;
  for (char ch : args) {
    if (ch == '\'') {
      quoted = !quoted;
      any = true;
    } else if (ch == ' ' && !quoted) {
      if (any) out.push_back(current);
      current.clear();
      any = false;
    } else {
      current += ch;
      any = true;
    }
  }
  if (any) out.push_back(current);
  return out;
}

// The worker of `launcher` whose RANK is `rank`, read from /proc (0 when not found yet).
pid_t worker_pid(pid_t launcher, int rank) {
  std::ifstream children(fmt::format("/proc/{}/task/{}/children", launcher, launcher));
  for (pid_t pid; children >> pid;) {
    const std::string variables = std::string(1, '\0') + read_file(fmt::format("/proc/{}/environ", pid));
    if (variables.find(std::string(1, '\0') + fmt::format("RANK={}", rank) + '\0') != std::string::npos) return pid;
  }
  return 0;
}

// Sets environment variables for the tests' children, and restores them.
class ScopedEnv {
 public:
  void set(const std::string& name, const std::string& value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// Whether `pid` holds the store --nproc gives its workers: an in-memory file, which has no path ("/memfd:tint-store").
bool holds_store_in_memory(pid_t pid) {
  std::error_code ec;
  for (fs::directory_iterator it(fmt::format("/proc/{}/fd", pid), ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_error;
    if (fs::read_symlink(it->path(), link_error).string().rfind("/memfd:tint-store", 0) == 0) return true;
  }
  return false;
}

// `args` without its "--threads N".
std::string without_threads(std::string args) {
  const auto at = args.find(" --threads ");
  return at == std::string::npos ? args : args.erase(at, args.find(' ', at + 11) - at);
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto end = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class DataParallelCli : public test::SmallRunTest {
 protected:
  void SetUp() override { env_.set("TINT_DIST_TIMEOUT", "30"); }
  ScopedEnv env_;
};

// 2 workers x batch 25 with synchronised batchnorm compute what 1 process x batch 50 does; only the order of
// summation differs (measured: 1e-5 in the losses after 40 steps). Without it, each worker's batch statistics
// differ from the global batch's, and so do the numbers (1e-3).
TEST_F(DataParallelCli, TwoWorkersWithSyncBatchnormMatchOneProcessWithTheGlobalBatch) {
  test::TempDir dir;
  const fs::path one = dir.path() / "one", two = dir.path() / "two", unsynced = dir.path() / "unsynced";
  auto r = test::run_tint(train_args(one, 2, 1000, "0.001", /*batch=*/50));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_tint(train_args(two, 2, 1000) + " --nproc 2 --sync-batchnorm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 workers x batch 25 = global batch 50"), std::string::npos) << r.out;
  r = test::run_tint(train_args(unsynced, 2, 1000) + " --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto config = nlohmann::json::parse(read_file(two / "config.json"));
  EXPECT_EQ(config.at("world_size"), 2);
  EXPECT_EQ(config.at("batch_size"), 25);
  EXPECT_EQ(config.at("sync_batchnorm"), true);
  const auto a = metrics(one), b = metrics(two), c = metrics(unsynced);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(a[e].train_loss, b[e].train_loss, 1e-4) << "epoch " << e + 1;
    EXPECT_NEAR(a[e].val_loss, b[e].val_loss, 1e-4) << "epoch " << e + 1;
    EXPECT_NEAR(a[e].val_acc, b[e].val_acc, 0.01) << "epoch " << e + 1;  // percent: 1e-4 of the pixels
  }
  EXPECT_GT(std::abs(a[1].train_loss - c[1].train_loss), 3e-4) << "per-worker batchnorm should differ";
}

// Workers started by a plain launcher script with the torchrun variables, as on two machines: each binds its own
// loopback address (TINT_BIND_ADDR), rank 0 hosts the rendezvous on 127.0.0.2. Same numbers, bit for bit, as
// --nproc 2 (same world, same threads).
TEST_F(DataParallelCli, WorkersFromTheEnvironmentOnTwoAddressesMatchNproc) {
  test::TempDir dir;
  const fs::path local = dir.path() / "local", nodes = dir.path() / "nodes";
  auto r = test::run_tint(train_args(local, 2) + " --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string port = std::to_string(distributed::free_port());
  const auto script = dir.path() / "launch.sh";
  test::write_bytes(script, fmt::format(R"(#!/bin/sh
export WORLD_SIZE=2 LOCAL_WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=127.0.0.2 MASTER_PORT={port}
RANK=1 TINT_BIND_ADDR=127.0.0.3 "$TINT" {args} > "$OUT/rank1.out" 2>&1 &
RANK=0 TINT_BIND_ADDR=127.0.0.2 "$TINT" {args} > "$OUT/rank0.out" 2>&1
first=$?
wait $!
second=$?
exit $((first + second))
)",
                                        fmt::arg("port", port), fmt::arg("args", train_args(nodes, 2))));
  const auto command = fmt::format("TINT={} OUT={} sh {}", test::quoted(test::tint_binary()), test::quoted(dir.path()),
                                   test::quoted(script));
  ASSERT_EQ(std::system(command.c_str()), 0)
      << read_file(dir.path() / "rank0.out") << read_file(dir.path() / "rank1.out");
  const auto log = read_file(dir.path() / "rank0.out");
  EXPECT_NE(log.find("Gloo over TCP on 127.0.0.2 (TINT_BIND_ADDR=127.0.0.2)"), std::string::npos) << log;
  EXPECT_EQ(nlohmann::json::parse(read_file(nodes / "config.json")).at("world_size"), 2);
  test::expect_identical_runs(local, nodes);
}

// SIGKILL of one worker mid-epoch: the launcher and the survivor stop within the timeout, naming the lost rank; the
// last checkpoint is whole, and resuming gives the uninterrupted run exactly.
TEST_F(DataParallelCli, AKilledWorkerStopsTheOthersAndTheRunResumesExactly) {
  test::TempDir dir;
  const fs::path whole = dir.path() / "whole", killed = dir.path() / "killed";
  const auto args = train_args(whole, 4, 600) + " --nproc 2";
  auto r = test::run_tint(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int victim : {1, 0}) {
    SCOPED_TRACE(fmt::format("killing rank {}", victim));
    fs::remove_all(killed);
    test::TintProcess run(split_args(train_args(killed, 4, 600) + " --nproc 2"), dir.path() / "out",
                          dir.path() / "err");
    ASSERT_TRUE(wait_until([&] { return fs::exists(killed / "checkpoint.pt"); }, 120s)) << "no checkpoint";
    std::this_thread::sleep_for(300ms);  // into the second epoch
    const pid_t pid = worker_pid(run.pid(), victim);
    ASSERT_GT(pid, 0);
    const auto t0 = Clock::now();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    const auto end = run.wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_TRUE(end.exited && end.exit_code != 0) << "exit " << end.exit_code << " signal " << end.signal;
    EXPECT_LT(seconds, 30.0) << "the others must not wait for the collective timeout";
    const auto err = read_file(dir.path() / "err");
    EXPECT_NE(err.find(fmt::format("lost rank {}", victim)), std::string::npos) << err;
    EXPECT_NE(err.find(fmt::format("rank {} (pid {}) was killed by signal 9", victim, pid)), std::string::npos) << err;
    ASSERT_GE(test::checkpoint_epoch(killed / "checkpoint.pt"), 1);
    r = test::run_tint("train --resume " + test::quoted(killed) + " --threads 1 --nproc 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    test::expect_identical_runs(whole, killed);
  }
}

// Ctrl-C reaches the launcher alone (the workers have their own process group); it forwards one SIGINT, the workers
// agree on a step, rank 0 saves, all exit 130, and the run resumes exactly.
TEST_F(DataParallelCli, CtrlCOnTheLauncherSavesAndResumesExactly) {
  test::TempDir dir;
  const fs::path whole = dir.path() / "whole", stopped = dir.path() / "stopped";
  auto r = test::run_tint(train_args(whole, 3, 600) + " --nproc 2 --sync-batchnorm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::TintProcess run(split_args(train_args(stopped, 3, 600) + " --nproc 2 --sync-batchnorm"), dir.path() / "out",
                        dir.path() / "err");
  ASSERT_TRUE(wait_until([&] { return fs::exists(stopped / "checkpoint.pt"); }, 120s)) << "no checkpoint";
  run.signal(SIGINT);
  const auto end = run.wait();
  EXPECT_TRUE(end.exited) << "signal " << end.signal;
  EXPECT_EQ(end.exit_code, 130);
  const auto err = read_file(dir.path() / "err");
  EXPECT_NE(err.find("checkpoint saved. Continue with: tint train --resume"), std::string::npos) << err;
  EXPECT_EQ(err.find("error"), std::string::npos) << err;
  r = test::run_tint("train --resume " + test::quoted(stopped) + " --threads 1 --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::expect_identical_runs(whole, stopped);
}

// Another number of workers keeps the global batch: 2 x 25 resumes as 1 x 50 (the same optimization: with synchronised
// batchnorm, the numbers of the 2-worker run to summation order); 3 workers cannot share 50 and are refused.
TEST_F(DataParallelCli, ResumingWithAnotherWorldSizeKeepsTheGlobalBatchOrIsRefused) {
  test::TempDir dir;
  const fs::path whole = dir.path() / "whole", resumed = dir.path() / "resumed";
  auto r = test::run_tint(train_args(whole, 3, 600) + " --nproc 2 --sync-batchnorm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_tint(train_args(resumed, 1, 600) + " --nproc 2 --sync-batchnorm");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto before = test::read_tree(resumed);
  r = test::run_tint("train --resume " + test::quoted(resumed) + " --epochs 3 --threads 1 --nproc 3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("was trained by 2 worker(s) with batch 25 each (global batch 50), which 3 workers cannot share "
                       "evenly"),
            std::string::npos)
      << r.err;
  test::expect_same_files(before, test::read_tree(resumed));
  r = test::run_tint("train --resume " + test::quoted(resumed) + " --epochs 3 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("continuing with 1 of batch 50 (global batch 50 unchanged)"), std::string::npos) << r.out;
  const auto a = metrics(whole), b = metrics(resumed);
  ASSERT_EQ(b.size(), 3u);
  for (size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(a[e].train_loss, b[e].train_loss, 1e-4) << "epoch " << e + 1;
    EXPECT_NEAR(a[e].val_loss, b[e].val_loss, 1e-4) << "epoch " << e + 1;
  }
}

// A --nproc run keeps off the network (issue 35): its workers meet in an in-memory store file they inherit, where
// rank 0 used to host a TCPStore on every address of the machine (anyone reaching it could read and write the store
// while training ran). Every socket the launcher and workers listen on, sampled from /proc every few milliseconds,
// is on loopback (Gloo's, while it connects the workers), and once training runs none listens at all.
TEST_F(DataParallelCli, ALocalRunListensOnLoopbackOnlyAndNotAtAllForItsStore) {
  test::TempDir dir;
  const fs::path run_dir = dir.path() / "run";
  test::TintProcess run(split_args(train_args(run_dir, 3, 600) + " --nproc 2"), dir.path() / "out", dir.path() / "err");
  const auto samples = test::sample_listeners(run, [&] { return fs::exists(run_dir / "checkpoint.pt"); });
  const auto end = run.wait();
  ASSERT_TRUE(end.exited && end.exit_code == 0) << read_file(dir.path() / "err");
  for (const auto& l : samples.seen) EXPECT_TRUE(test::is_loopback(l.address)) << l.describe();
  EXPECT_GT(samples.settled_samples, 10) << "the run ended too soon after its first checkpoint to be watched";
  for (const auto& l : samples.seen_settled) ADD_FAILURE() << "listening while training: " << l.describe();
}

// SIGKILL of the launcher: the workers get SIGTERM (PR_SET_PDEATHSIG), agree on a step, save and exit 130, and
// nothing is left behind: their store was an in-memory file without a path, which the kernel frees with the last of
// them (TMPDIR stays empty). The test process adopts the orphaned workers (PR_SET_CHILD_SUBREAPER) to see them end.
TEST_F(DataParallelCli, KillingTheLauncherStopsTheWorkersAndLeavesNothingBehind) {
  test::TempDir dir;
  const fs::path run_dir = dir.path() / "run", tmp = dir.path() / "tmp";
  fs::create_directories(tmp);
  env_.set("TMPDIR", tmp.string());
  struct Adopted {
    std::map<pid_t, bool> ended;  // pid -> reaped
    Adopted() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~Adopted() {
      for (const auto& [pid, reaped] : ended) {
        if (!reaped && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
      }
      prctl(PR_SET_CHILD_SUBREAPER, 0);
    }
  } adopted;
  test::TintProcess run(split_args(train_args(run_dir, 4, 600) + " --nproc 2"), dir.path() / "out", dir.path() / "err");
  ASSERT_TRUE(wait_until([&] { return fs::exists(run_dir / "checkpoint.pt"); }, 120s)) << "no checkpoint";
  std::vector<pid_t> workers;
  for (int rank : {0, 1}) {
    const pid_t pid = worker_pid(run.pid(), rank);
    ASSERT_GT(pid, 0) << "rank " << rank;
    adopted.ended[pid] = false;
    workers.push_back(pid);
    EXPECT_TRUE(holds_store_in_memory(pid)) << "rank " << rank;
  }
  ASSERT_EQ(kill(run.pid(), SIGKILL), 0);
  EXPECT_EQ(run.wait().signal, SIGKILL);
  for (pid_t pid : workers) {
    int status = 0;
    ASSERT_TRUE(wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 60s))
        << "worker " << pid << " outlived its launcher";
    adopted.ended[pid] = true;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << "worker " << pid << " status " << status;
  }
  std::string left;
  for (const auto& entry : fs::directory_iterator(tmp)) left += entry.path().string() + " ";
  EXPECT_EQ(left, "");
  EXPECT_GE(test::checkpoint_epoch(run_dir / "checkpoint.pt"), 1);
}

// A worker that cannot reach the others says so in one line and exits 2 (issue 29 item 4): no C++ backtrace from
// LibTorch, no glog lines of c10d's connection attempts. Rank 0 also says where its store listens (issue 35).
// TINT_DIST_TIMEOUT=1 keeps each case to a second or two.
TEST_F(DataParallelCli, AWorkerThatCannotReachTheOthersSaysSoInOneLine) {
  const std::string port = std::to_string(distributed::free_port());
  const std::string args = "train --epochs 1 --train-limit 50 --val-limit 10 --num-filters 8 --threads 1";
  auto r = test::run_tint(args, "TINT_DIST_TIMEOUT=1 RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.9 MASTER_PORT=" + port);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.find("frame #"), std::string::npos) << r.err;
  EXPECT_EQ(
      r.err.rfind(fmt::format("tint: error: rank 1 of 2: rendezvous at 127.0.0.9:{} failed within 1 s: ", port), 0), 0u)
      << r.err;

  r = test::run_tint(args, "TINT_DIST_TIMEOUT=1 RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            fmt::format("tint: rank 0 of 2: rendezvous store (c10d TCPStore) listening on *:{} (every address of this "
                        "machine, IPv4 and IPv6); neither it nor Gloo authenticates anything: keep multi-machine jobs "
                        "on a private network\n"
                        "tint: error: rank 0 of 2: rendezvous at 127.0.0.1:{} failed within 1 s: 1 of 2 workers came\n",
                        port, port));
}

// Workers started with what PyTorch's env:// needs plus LOCAL_RANK, as Slurm and mpirun scripts do (issue 29 item 5):
// LOCAL_RANK=1 used to be refused (LOCAL_WORLD_SIZE defaulted to 1). Without LOCAL_WORLD_SIZE and --threads, each
// worker divides the cores by the job's workers it counted on this machine at the rendezvous, and says so.
TEST_F(DataParallelCli, WorkersWithLocalRankButNoLocalWorldSizeTrainAndSayHowTheyChoseThreads) {
  test::TempDir dir;
  const fs::path run_dir = dir.path() / "run";
  const auto script = dir.path() / "launch.sh";
  test::write_bytes(script, fmt::format(R"(#!/bin/sh
unset LOCAL_WORLD_SIZE
export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT={port}
RANK=1 LOCAL_RANK=1 "$TINT" {args} > "$OUT/rank1.out" 2> "$OUT/rank1.err" &
RANK=0 LOCAL_RANK=0 "$TINT" {args} > "$OUT/rank0.out" 2> "$OUT/rank0.err"
first=$?
wait $!
second=$?
exit $((first + second))
)",
                                        fmt::arg("port", distributed::free_port()),
                                        fmt::arg("args", without_threads(train_args(run_dir, 1)))));
  const auto command = fmt::format("TINT={} OUT={} sh {}", test::quoted(test::tint_binary()), test::quoted(dir.path()),
                                   test::quoted(script));
  ASSERT_EQ(std::system(command.c_str()), 0)
      << read_file(dir.path() / "rank0.err") << read_file(dir.path() / "rank1.err");
  EXPECT_EQ(nlohmann::json::parse(read_file(run_dir / "config.json")).at("world_size"), 2);
  const int cores = core_count(), threads = std::max(1, cores / 2);
  for (int rank : {0, 1}) {
    const auto err = read_file(dir.path() / fmt::format("rank{}.err", rank));
    EXPECT_NE(err.find(fmt::format("tint: rank {} of 2: {} thread{} per worker: {} core{} / 2 workers of this job on "
                                   "this machine (counted at the rendezvous: LOCAL_WORLD_SIZE is not set",
                                   rank, threads, threads == 1 ? "" : "s", cores, cores == 1 ? "" : "s")),
              std::string::npos)
        << err;
  }
}

TEST_F(DataParallelCli, NprocInsideAWorkerAndBadEnvironmentAreRefused) {
  auto r = test::run_tint("train --nproc 2 --epochs 1", "RANK=0 WORLD_SIZE=1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--nproc 2: this process is already worker 0 of 1"), std::string::npos) << r.err;
  r = test::run_tint("train --epochs 1", "RANK=0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("RANK is set but WORLD_SIZE is not"), std::string::npos) << r.err;
  r = test::run_tint("train --epochs 1", "RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("RANK='2': expected an integer in 0..1"), std::string::npos) << r.err;
  r = test::run_tint("train --epochs 1", "RANK=0 WORLD_SIZE=2 MASTER_PORT=1234");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("MASTER_ADDR is not"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tint
