// --nproc and the worker's side of a data-parallel job (see commands.h: run_data_parallel).
#include <cstdio>

#include <fmt/core.h>

#include "commands.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/core/runtime.h"
#include "tint/distributed/group.h"
#include "tint/distributed/launcher.h"
#include "tint/distributed/world.h"
#include "tint/report/progress.h"

namespace tint::cli {

namespace {

// The command's arguments without --nproc and its value: what each worker runs.
std::vector<std::string> worker_arguments(const std::vector<std::string>& arguments) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--nproc") {
      ++i;
      continue;
    }
    if (arguments[i].rfind("--nproc=", 0) == 0) continue;
    kept.push_back(arguments[i]);
  }
  return kept;
}

void run_worker(SharedFlags& shared, const distributed::World& world,
                const std::function<void(distributed::Group*)>& job) {
  // Said before rank 0 opens it (the rendezvous waits for the others), so that the person knows what is exposed.
  if (const auto notice = distributed::store_listener_notice(world); !notice.empty()) {
    std::fprintf(stderr, "tint: %s\n", notice.c_str());
  }
  distributed::Group group(world);
  if (world.rank != 0) report::ProgressBar::disable_all();  // rank 0's bar has the terminal
  // Workers on one machine share its cores.
  const auto threads = distributed::threads_per_worker(shared.threads, world, group.machine_workers(), core_count());
  configure_threads(threads.threads);
  if (!threads.how.empty()) {
    std::fprintf(stderr, "tint: rank %d of %d: %s\n", world.rank, world.world_size, threads.how.c_str());
  }
  try {
    job(&group);
    group.barrier();
    group.leave("finished");
  } catch (const Interrupted& e) {
    group.leave("interrupted");
    if (world.rank == 0) throw;
    throw ExitStatus{130};  // rank 0 says where the checkpoint is
  } catch (const distributed::PeerLost& e) {
    group.leave(e.what());
    throw;
  } catch (const std::exception& e) {
    const std::string what = message_of(e);
    group.leave(what);
    throw Error(fmt::format("rank {} of {}: {}", world.rank, world.world_size, what));
  }
}

}  // namespace

const char* const kFilesNprocHelp =
    "Workers to run on this machine, the files shared out among them (each with its share of the cores; one summary "
    "at the end); across machines, one worker per process with torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT "
    "and the inputs and --out-dir on a filesystem they share";

void add_nproc_flag(CLI::App& cmd, int& nproc, const std::string& help) {
  cmd.add_option("--nproc", nproc,
                 !help.empty() ? help
                               : "Data-parallel workers to run on this machine (each takes --batch-size images of "
                                 "every global batch; across machines, start one worker per process with torchrun's "
                                 "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT instead: see README)")
      ->check(CLI::Range(1, 1024));
}

void run_data_parallel(SharedFlags& shared, int nproc, const std::function<void(distributed::Group*)>& job) {
  const auto world = distributed::world_from_environment();
  if (world && nproc > 0) {
    throw Error(
        fmt::format("--nproc {}: this process is already worker {} of {} (RANK and WORLD_SIZE are set): "
                    "launch workers either with --nproc or with the environment, not both",
                    nproc, world->rank, world->world_size));
  }
  if (nproc > 1) {
    const auto result =
        distributed::launch_local(nproc, worker_arguments(shared.arguments), distributed::timeout_from_environment());
    for (const auto& w : result.workers) {
      // A worker killed by a signal could not say so itself; one that exited has printed its own error.
      if (w.signal != 0) std::fprintf(stderr, "tint: %s\n", w.describe().c_str());
    }
    if (result.exit_code() != 0) throw ExitStatus{result.exit_code()};
    return;
  }
  if (world && world->world_size > 1) {
    run_worker(shared, *world, job);
    return;
  }
  apply_threads(shared);
  job(nullptr);
}

}  // namespace tint::cli
