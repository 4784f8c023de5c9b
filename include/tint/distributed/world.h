// Where this process stands in a data-parallel job: its rank among world_size workers and where the rendezvous store
// is, read from the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), so that the same binary runs under torchrun, Slurm, mpirun or Kubernetes job scripts; or from what
// `tint train --nproc` gives its workers (TINT_STORE_FD: a store on no network at all).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tint::distributed {

struct World {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  // Workers on this machine (they share its cores) as the launcher says (LOCAL_WORLD_SIZE); 0 when it does not, as
  // PyTorch's env:// needs only RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.
  int local_world_size = 0;
  // The rendezvous store. `store_file` set: c10d's FileStore on that file, which every worker reaches by path (one
  // machine; --nproc gives its workers an in-memory file, /proc/self/fd/N, that no other process can open by a name
  // and that the kernel frees with the last of them). Empty: a TCPStore that rank 0 hosts on master_port.
  std::string store_file;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // How long a collective (or the rendezvous) may wait for a peer before the job stops with an error.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// The world the environment describes, or nullopt when RANK and WORLD_SIZE are both unset (a plain single process).
// Throws tint::Error naming the variable when one is set but malformed or inconsistent (RANK without WORLD_SIZE,
// RANK >= WORLD_SIZE, a port outside 1..65535, ...). TINT_DIST_TIMEOUT (seconds) sets the timeout. TINT_STORE_FD=N
// (set by --nproc for its workers) names an open file descriptor of this process holding the store: the world's
// store_file is then /proc/self/fd/N and MASTER_ADDR / MASTER_PORT are not used.
//
// Accepts what PyTorch's env:// accepts: LOCAL_RANK and LOCAL_WORLD_SIZE may be missing (PyTorch ignores them); when
// both are set, LOCAL_RANK < LOCAL_WORLD_SIZE.
std::optional<World> world_from_environment();
// The collectives' timeout: TINT_DIST_TIMEOUT seconds, else World's default.
std::chrono::milliseconds timeout_from_environment();

// The address this worker's Gloo transport binds, and how it was chosen (for messages):
//   a world whose store is a file  127.0.0.1: every worker is on this machine, nothing is for the network (the
//                             variables below are for multi-machine jobs);
//   GLOO_SOCKET_IFNAME=eth0   the first IPv4 address of that interface (as PyTorch does);
//   TINT_BIND_ADDR=10.0.0.5   that address (several workers on one machine can bind 127.0.0.2, 127.0.0.3, ...);
//   otherwise                 the local address the kernel routes to MASTER_ADDR from, which is the interface that
//                             reaches the other machines (Debian's hostname resolves to 127.0.1.1, which they
//                             cannot reach).
struct BindAddress {
  std::string interface;  // set when GLOO_SOCKET_IFNAME chose it
  std::string address;    // numeric IPv4/IPv6, or empty with interface set
  std::string reason;
};
BindAddress bind_address(const World& world);

// Intra-op threads for each worker, so that the workers on one machine share its cores without oversubscribing them:
// `requested` (--threads) when > 0; else the cores divided by LOCAL_WORLD_SIZE when the launcher said it (torchrun,
// --nproc); else the cores divided by `machine_workers`, the workers of this job counted on this machine at the
// rendezvous. `how` says how the number was chosen in that last case (empty otherwise: nothing to explain).
struct ThreadChoice {
  int threads = 1;
  std::string how;
};
ThreadChoice threads_per_worker(int requested, const World& world, int machine_workers, int cores);

}  // namespace tint::distributed
