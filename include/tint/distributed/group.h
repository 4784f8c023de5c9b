// The workers of a data-parallel job, joined through PyTorch's own c10d engine: a store for the rendezvous (c10d's
// FileStore on a file no other process can open when every worker is on this machine, --nproc; a TCPStore that rank 0
// hosts across machines), and every collective on a ProcessGroupGloo (TCP, a full mesh between the workers).
//
// A worker that dies or hangs must not leave the others waiting forever: every collective has the world's timeout,
// and a failed one is reported as PeerLost naming the ranks that stopped. To know which, each worker keeps a heartbeat
// counter in the store (a thread with its own connection bumps it twice a second) and marks its own exit there; the
// ranks whose counter stopped without an exit mark are the lost ones.
//
// Neither the TCPStore nor Gloo authenticates anything: whoever reaches their ports can read and write the store or
// join the mesh. Multi-machine jobs belong on a private network (see store_listener_notice).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <torch/types.h>

#include "tint/core/error.h"
#include "tint/distributed/world.h"

namespace c10d {
class Store;
class ProcessGroup;
class Work;
}  // namespace c10d

namespace tint::distributed {

// A collective failed because another worker stopped (killed, crashed, hung or lost its network).
class PeerLost : public Error {
 public:
  using Error::Error;
};

// What rank 0 is about to open to the network for the rendezvous, as one line for the person running it ("rank 0 of 2:
// rendezvous store (c10d TCPStore) listening on *:29500 (every address of this machine ..."); empty when this worker
// opens no store (another rank, or a store file).
std::string store_listener_notice(const World& world);

class Group {
 public:
  // Blocks until all world_size workers have joined (or the world's timeout passes: an Error saying how many came).
  explicit Group(const World& world);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int rank() const { return world_.rank; }
  int size() const { return world_.world_size; }
  const World& world() const { return world_; }
  const std::string& transport() const { return transport_; }  // what Gloo bound, and why (for messages)
  // The workers of this job on this machine (same host name and boot), counted at the rendezvous: how many share its
  // cores when the launcher does not say (LOCAL_WORLD_SIZE).
  int machine_workers() const { return machine_workers_; }

  // In-place sum over all workers (Gloo has no average: callers divide). Every worker must make the same calls in the
  // same order with tensors of the same shape and type.
  void allreduce_sum(torch::Tensor& tensor);
  // Starts the sum and returns at once; `wait` finishes it. Works complete in the order they were started.
  c10::intrusive_ptr<c10d::Work> start_allreduce_sum(torch::Tensor& tensor);
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* during = "an allreduce");
  void broadcast(torch::Tensor& tensor, int root = 0);
  // `bytes` of root, on every worker (any length).
  std::string broadcast_bytes(const std::string& bytes, int root = 0);
  void barrier();

  // Marks this worker as leaving on purpose (finished, or stopping with `reason`), so that the others do not report
  // it as lost when they see it go.
  void mark_exit(const std::string& reason);
  // Leaves the job: `reason` is "finished" after a barrier, else why this worker stops. A failing worker closes its
  // connections at once (the others' collectives fail now, not at the timeout); rank 0 then keeps the store up a
  // little longer, so that they can still read why.
  void leave(const std::string& reason);
  // The message of the error every worker sees when one of them stopped with `reason` (see mark_exit), or the ranks
  // no longer alive; `what` is the transport's own error.
  [[noreturn]] void raise_peer_lost(const std::string& during, const std::string& what);

 private:
  void heartbeat_loop(c10::intrusive_ptr<c10d::Store> store);
  void join();
  std::string store_name() const;
  World world_;
  std::string transport_;
  int machine_workers_ = 1;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::atomic<bool> stopping_{false};
  std::thread heartbeat_;
};

}  // namespace tint::distributed
