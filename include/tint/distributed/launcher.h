// `tint train --nproc N`: runs N workers of the same command on this machine and waits for them, as torchrun does
// for one node: each is this binary, started with the torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE) and the same arguments minus --nproc. Their rendezvous store is on no network: an in-memory file
// they inherit (TINT_STORE_FD), which the kernel frees with the last of them, whatever kills them; Gloo binds
// 127.0.0.1.
//
// The workers run in their own process group, so that Ctrl-C reaches them once, through the launcher, which forwards
// SIGINT / SIGTERM to every worker (they agree on a step, save a checkpoint and stop). They die with the launcher
// (PR_SET_PDEATHSIG). When a worker fails, the others are given the collectives' timeout (plus a margin) to notice
// and stop with their own error; whoever is still running then is killed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tint::distributed {

struct WorkerExit {
  int rank = 0;
  int pid = 0;
  int exit_code = 0;  // when it exited
  int signal = 0;     // when a signal ended it (0 otherwise)
  bool killed_by_launcher = false;
  std::string describe() const;  // "rank 1 (pid 4242) was killed by signal 9 (Killed)"
};

struct LaunchResult {
  std::vector<WorkerExit> workers;  // by rank
  int first_failure = -1;           // rank of the first worker seen to fail, -1 when all succeeded
  int exit_code() const;            // 0 when every worker exited 0, else the first failure's code (128+signal)
};

// `arguments` are argv[1..] of each worker. `timeout` is the workers' collective timeout.
LaunchResult launch_local(int nproc, const std::vector<std::string>& arguments, std::chrono::milliseconds timeout);

// A free TCP port on the loopback interface (bound and released: another process could take it in between, as
// with torchrun's own choice). For tests of workers started from the environment.
int free_port();

}  // namespace tint::distributed
