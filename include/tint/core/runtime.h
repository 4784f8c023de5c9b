// Process-wide runtime settings for LibTorch: thread count and determinism.
#pragma once

namespace tint {

// Debian's LibTorch starts with one intra-op thread; tint uses every core unless told otherwise.
// `threads` <= 0 means "the number of cores". Returns the count in effect.
int configure_threads(int threads);

// Keeps the per-step activations (up to ~10 MB each) in the heap instead of mapping and unmapping them from the
// kernel on every allocation: glibc serves blocks over its dynamic mmap threshold with fresh zeroed pages, and the
// page faults cost about 5 % of a training step. Raises the mmap threshold to its maximum (32 MB) and keeps up to
// 256 MB of freed heap. Returns false when glibc refused a setting.
bool tune_allocator();

// Number of cores this process may run on: its affinity mask (taskset, cpusets), at least 1.
int core_count();

const char* version();

}  // namespace tint
