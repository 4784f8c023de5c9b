#include "tint/distributed/group.h"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>

#include <fmt/core.h>
#include <glog/logging.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace tint::distributed {

namespace {

using namespace std::chrono_literals;
constexpr auto kHeartbeat = 500ms;
// A worker whose counter has not moved for this long is taken as lost (a loaded machine delays a heartbeat by
// a scheduling slice, not seconds).
constexpr auto kLostAfter = 2500ms;

std::string alive_key(int rank) { return fmt::format("tint/alive/{}", rank); }
std::string exit_key(int rank) { return fmt::format("tint/exit/{}", rank); }
std::string joined_key(int rank) { return fmt::format("tint/joined/{}", rank); }

// This machine as the workers of a job can tell it: its host name and this boot of its kernel (two containers of one
// host have their own host names, and their own shares of its cores).
std::string machine_identity() {
  char host[HOST_NAME_MAX + 1] = {};
  gethostname(host, sizeof host - 1);
  std::string boot;
  std::ifstream("/proc/sys/kernel/random/boot_id") >> boot;
  return fmt::format("{}/{}", host, boot);
}

// While connecting to a TCPStore, c10d logs each failed attempt through glog ("E... socket.cpp:860] [c10d] The client
// socket has timed out ..."), lines that repeat what the rendezvous error says in one line, or that report retries
// which then succeed (a worker started before rank 0). They are silenced for that time; the count lets workers that
// are threads of one process (the tests) connect at once.
class QuietConnectionLog {
 public:
  QuietConnectionLog() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_++ == 0) {
      saved_ = FLAGS_minloglevel;
      FLAGS_minloglevel = google::GLOG_FATAL;
    }
  }
  ~QuietConnectionLog() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--users_ == 0) FLAGS_minloglevel = saved_;
  }
  QuietConnectionLog(const QuietConnectionLog&) = delete;
  QuietConnectionLog& operator=(const QuietConnectionLog&) = delete;

 private:
  static inline std::mutex mutex_;
  static inline int users_ = 0;
  static inline int saved_ = 0;
};

// Each worker's main connection to a TCPStore counts itself in and waits for all world_size (rank 0 hosts the server);
// the heartbeat's second connection joins without counting. A FileStore is opened by each: its file is the meeting
// point (numWorkers -1: the file is not FileStore's to remove; --nproc's vanishes with the last worker holding it).
c10::intrusive_ptr<c10d::Store> connect_store(const World& w, bool main_connection) {
  if (!w.store_file.empty()) {
    auto store = c10::make_intrusive<c10d::FileStore>(w.store_file, /*numWorkers=*/-1);
    store->setTimeout(w.timeout);
    return store;
  }
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(w.master_port);
  o.isServer = main_connection && w.rank == 0;
  o.numWorkers = w.world_size;
  o.waitWorkers = main_connection;
  o.timeout = w.timeout;
  return c10::make_intrusive<c10d::TCPStore>(w.master_addr, o);
}

std::string text_of(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

std::string store_listener_notice(const World& world) {
  if (world.rank != 0 || !world.store_file.empty()) return "";
  // c10d's TCPStore server binds the wildcard address (1.13 has no option for another).
  return fmt::format(
      "rank 0 of {}: rendezvous store (c10d TCPStore) listening on *:{} (every address of this machine, "
      "IPv4 and IPv6); neither it nor Gloo authenticates anything: keep multi-machine jobs on a private "
      "network",
      world.world_size, world.master_port);
}

Group::Group(const World& world) : world_(world) {
  // Gloo writes to its peers' sockets with writev, which raises SIGPIPE once a peer has gone (a worker that stopped):
  // its default action killed this worker on the spot, before it could say which peer left (a CI run saw a test die
  // so). Python, which PyTorch's launchers run workers in, ignores SIGPIPE from its start; a worker of tint's does
  // the same from here on, and Gloo's write then fails with EPIPE, which the collectives turn into their one line.
  std::signal(SIGPIPE, SIG_IGN);
  const auto bind = bind_address(world_);
  try {
    QuietConnectionLog quiet;
    store_ = connect_store(world_, /*main_connection=*/true);
  } catch (const std::exception& e) {
    throw Error(fmt::format("rank {} of {}: rendezvous {} failed within {} s: {}", world_.rank, world_.world_size,
                            store_name(), std::chrono::duration_cast<std::chrono::seconds>(world_.timeout).count(),
                            message_of(e)));
  }
  join();
  heartbeat_ = std::thread(&Group::heartbeat_loop, this, connect_store(world_, /*main_connection=*/false));
  auto options = c10d::ProcessGroupGloo::Options::create(world_.timeout);
  try {
    options->devices.push_back(bind.interface.empty()
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname(bind.address)
                                   : c10d::ProcessGroupGloo::createDeviceForInterface(bind.interface));
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, world_.rank, world_.world_size, options);
  } catch (const std::exception& e) {
    stopping_ = true;
    heartbeat_.join();
    throw Error(fmt::format("rank {}: cannot connect the workers' Gloo transport (bound by {}): {}", world_.rank,
                            bind.reason, message_of(e)));
  }
  transport_ =
      fmt::format("Gloo over TCP on {} ({})", bind.interface.empty() ? bind.address : bind.interface, bind.reason);
}

std::string Group::store_name() const {
  return world_.store_file.empty() ? fmt::format("at {}:{}", world_.master_addr, world_.master_port)
                                   : fmt::format("in the store file {}", world_.store_file);
}

void Group::join() {
  // Each worker counts itself on its machine, then says it has come: once every worker has come, the counts are
  // complete. (A TCPStore has already waited for its clients; a FileStore has no notion of them.)
  const std::string machine_key = "tint/machine/" + machine_identity();
  store_->add(machine_key, 1);
  store_->set(joined_key(world_.rank), {'1'});
  std::vector<std::string> keys;
  for (int r = 0; r < world_.world_size; ++r) keys.push_back(joined_key(r));
  try {
    store_->wait(keys, world_.timeout);
  } catch (const std::exception&) {
    int came = 0;
    for (const auto& key : keys) came += store_->check({key}) ? 1 : 0;
    throw Error(fmt::format("rank {} of {}: rendezvous {} failed within {} s: {} of {} workers came", world_.rank,
                            world_.world_size, store_name(),
                            std::chrono::duration_cast<std::chrono::seconds>(world_.timeout).count(), came,
                            world_.world_size));
  }
  machine_workers_ = static_cast<int>(store_->add(machine_key, 0));
}

Group::~Group() {
  stopping_ = true;
  if (heartbeat_.joinable()) heartbeat_.join();
}

void Group::heartbeat_loop(c10::intrusive_ptr<c10d::Store> store) {
  const auto key = alive_key(world_.rank);
  while (!stopping_) {
    try {
      store->add(key, 1);
    } catch (const std::exception&) {
      return;  // the store went away with rank 0: the collectives report it
    }
    std::this_thread::sleep_for(kHeartbeat);
  }
}

void Group::mark_exit(const std::string& reason) {
  try {
    store_->set(exit_key(world_.rank), std::vector<uint8_t>(reason.begin(), reason.end()));
  } catch (const std::exception&) {
    // The store is gone (rank 0 stopped): nobody is left to tell.
  }
}

void Group::leave(const std::string& reason) {
  mark_exit(reason);
  if (reason == "finished") return;
  group_.reset();
  // A TCPStore ends with rank 0's process: keep it up until the others have read why. A store file outlives us.
  if (world_.rank == 0 && world_.store_file.empty()) std::this_thread::sleep_for(kLostAfter + 1s);
}

void Group::raise_peer_lost(const std::string& during, const std::string& what) {
  const std::string prefix = fmt::format("rank {} of {}: {} failed", world_.rank, world_.world_size, during);
  std::vector<std::string> reasons;
  try {
    std::vector<int64_t> before(world_.world_size);
    for (int r = 0; r < world_.world_size; ++r) before[r] = store_->add(alive_key(r), 0);
    std::this_thread::sleep_for(kLostAfter);
    for (int r = 0; r < world_.world_size; ++r) {
      if (r == world_.rank) continue;
      if (store_->check({exit_key(r)})) {
        const auto reason = text_of(store_->get(exit_key(r)));
        if (reason != "finished") reasons.push_back(fmt::format("rank {} stopped: {}", r, reason));
      } else if (store_->add(alive_key(r), 0) == before[r]) {
        reasons.push_back(fmt::format("lost rank {} (no heartbeat for {} s: killed, crashed or unreachable)", r,
                                      std::chrono::duration<double>(kLostAfter).count()));
      }
    }
  } catch (const std::exception& e) {
    mark_exit(during + " failed");
    if (!world_.store_file.empty()) {
      throw PeerLost(fmt::format("{}: the rendezvous store file {} failed ({}); transport: {}", prefix,
                                 world_.store_file, message_of(e), what));
    }
    throw PeerLost(
        fmt::format("{}: lost rank 0 (it hosts the rendezvous store at {}:{}, which no longer answers); "
                    "transport: {}",
                    prefix, world_.master_addr, world_.master_port, what));
  }
  mark_exit(during + " failed");
  if (reasons.empty()) reasons.push_back("no worker was seen to stop (a timeout or a network failure?)");
  std::string joined;
  for (const auto& r : reasons) joined += (joined.empty() ? "" : "; ") + r;
  throw PeerLost(fmt::format("{}: {}; transport: {}", prefix, joined, what));
}

void Group::wait(const c10::intrusive_ptr<c10d::Work>& work, const char* during) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    raise_peer_lost(during, message_of(e));
  }
}

c10::intrusive_ptr<c10d::Work> Group::start_allreduce_sum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors{tensor};
  try {
    return group_->allreduce(tensors);
  } catch (const std::exception& e) {
    raise_peer_lost("an allreduce", message_of(e));
  }
}

void Group::allreduce_sum(torch::Tensor& tensor) { wait(start_allreduce_sum(tensor)); }

void Group::broadcast(torch::Tensor& tensor, int root) {
  std::vector<torch::Tensor> tensors{tensor};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = group_->broadcast(tensors, options);
  } catch (const std::exception& e) {
    raise_peer_lost("a broadcast", message_of(e));
  }
  wait(work, "a broadcast");
}

std::string Group::broadcast_bytes(const std::string& bytes, int root) {
  auto length = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64);
  broadcast(length, root);
  // An empty message has no buffer at all: an empty tensor's data pointer is null, which memcpy and std::string must
  // not be given even for zero bytes (UBSan: "null pointer passed as argument 1").
  if (length.item<int64_t>() == 0) return std::string();
  auto buffer = torch::empty({length.item<int64_t>()}, torch::kUInt8);
  if (world_.rank == root) std::memcpy(buffer.data_ptr(), bytes.data(), bytes.size());
  broadcast(buffer, root);
  return std::string(reinterpret_cast<const char*>(buffer.data_ptr()), static_cast<size_t>(buffer.numel()));
}

void Group::barrier() {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = group_->barrier();
  } catch (const std::exception& e) {
    raise_peer_lost("a barrier", message_of(e));
  }
  wait(work, "a barrier");
}

}  // namespace tint::distributed
