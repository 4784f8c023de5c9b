// Process-wide runtime settings for LibTorch: thread count and determinism.
#pragma once

namespace tint {

// Debian's LibTorch starts with one intra-op thread; tint uses every core unless told otherwise.
// `threads` <= 0 means "the number of cores". Returns the count in effect.
int configure_threads(int threads);

// Number of cores this process may run on: its affinity mask (taskset, cpusets), at least 1.
int core_count();

const char* version();

}  // namespace tint
