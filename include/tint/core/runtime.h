// Process-wide runtime settings for LibTorch: thread count and determinism.
#pragma once

namespace tint {

// Debian's LibTorch starts with one intra-op thread; tint uses every core unless told otherwise.
// `threads` <= 0 means "the number of cores". Returns the count in effect.
int configure_threads(int threads);

// For the life of this object, `threads` intra-op threads (at least one); the count before is put back at its end. For a
// stage that shares the cores with other threads of the process (the video pipeline's network beside its encoder).
class IntraOpThreads {
 public:
  explicit IntraOpThreads(int threads);
  ~IntraOpThreads();
  IntraOpThreads(const IntraOpThreads&) = delete;
  IntraOpThreads& operator=(const IntraOpThreads&) = delete;

 private:
  int before_;
};

// Keeps the per-step activations (up to ~10 MB each) in the heap instead of mapping and unmapping them from the
// kernel on every allocation: glibc serves blocks over its dynamic mmap threshold with fresh zeroed pages, and the
// page faults cost about 5 % of a training step. Raises the mmap threshold to its maximum (32 MB) and keeps up to
// 256 MB of freed heap. Returns false when glibc refused a setting.
bool tune_allocator();

// Number of cores this process may run on: its affinity mask (taskset, cpusets), at least 1.
int core_count();

const char* version();

}  // namespace tint
