#include "tint/core/runtime.h"

#include <malloc.h>
#include <sched.h>

#include <thread>

#include <torch/torch.h>

namespace tint {

int core_count() {
  // The cores this process may run on (taskset, cgroup cpusets), not every core of the machine: more threads than
  // usable cores make every parallel region wait for a descheduled thread.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int configure_threads(int threads) {
  const int n = threads > 0 ? threads : core_count();
  torch::set_num_threads(n);
  return torch::get_num_threads();
}

IntraOpThreads::IntraOpThreads(int threads) : before_(torch::get_num_threads()) {
  torch::set_num_threads(threads < 1 ? 1 : threads);
}

IntraOpThreads::~IntraOpThreads() { torch::set_num_threads(before_); }

bool tune_allocator() {
  const bool threshold = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool trim = mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024) == 1;
  return threshold && trim;
}

const char* version() { return TINT_VERSION; }

}  // namespace tint
