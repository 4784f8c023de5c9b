// What a running `tint` (and the workers it started) exposes to the network, read from /proc as `ss -ltnp` does:
// the listening TCP sockets (IPv4 and IPv6) whose inodes are among a process's open files.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace tint::test {

struct Listener {
  pid_t pid = 0;
  std::string address;  // numeric: "127.0.0.1", "::", "0.0.0.0", "::ffff:127.0.0.1"
  int port = 0;
  std::string describe() const;  // "pid 4242 on [::]:33913"
};

// 127.0.0.0/8, ::1 or an IPv4-mapped 127/8 address.
bool is_loopback(const std::string& address);

// `root` and every process below it (children, grandchildren, ...), alive now.
std::vector<pid_t> process_tree(pid_t root);

// The listening TCP sockets of `pids` now (a process that ends meanwhile has none).
std::vector<Listener> listeners_of(const std::vector<pid_t>& pids);

// The listeners of `run`'s process tree, sampled every few milliseconds until it ends: all that were seen, and those
// seen while `settled()` held (for instance, once the workers have written a checkpoint: their rendezvous is over).
struct ListenerSamples {
  std::vector<Listener> seen;
  std::vector<Listener> seen_settled;
  int settled_samples = 0;  // how many samples were taken while settled() held
};
ListenerSamples sample_listeners(TintProcess& run, const std::function<bool()>& settled);

}  // namespace tint::test
