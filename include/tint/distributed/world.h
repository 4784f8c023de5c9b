// Where this process stands in a data-parallel job: its rank among world_size workers and the rendezvous address,
// read from the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), so that the same binary runs under torchrun, Slurm or Kubernetes job scripts, or `tint train --nproc`.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tint::distributed {

struct World {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // workers on this machine (they share its cores)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // How long a collective (or the rendezvous) may wait for a peer before the job stops with an error.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

// The world the environment describes, or nullopt when RANK and WORLD_SIZE are both unset (a plain single process).
// Throws tint::Error naming the variable when one is set but malformed or inconsistent (RANK without WORLD_SIZE,
// RANK >= WORLD_SIZE, a port outside 1..65535, ...). TINT_DIST_TIMEOUT (seconds) sets the timeout.
std::optional<World> world_from_environment();
// The collectives' timeout: TINT_DIST_TIMEOUT seconds, else World's default.
std::chrono::milliseconds timeout_from_environment();

// The address this worker's Gloo transport binds, and how it was chosen (for messages):
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

}  // namespace tint::distributed
