// Peak tensor memory through the allocator's reporting hook (see memory_probe.h).
#include "tint/optim/memory_probe.h"

#include <algorithm>
#include <atomic>

#include <c10/core/Allocator.h>
#include <c10/util/ThreadLocalDebugInfo.h>

namespace tint::optim {

// The hook: the CPU allocator calls reportMemoryUsage with +bytes on allocation and -bytes on free whenever
// memoryProfilingEnabled() is true for the thread's installed reporter.
struct AllocationProbe::Reporter : c10::MemoryReportingInfoBase {
  std::atomic<int64_t> live{0}, peak{0}, count{0};

  void reportMemoryUsage(void* /*ptr*/, int64_t alloc_size, int64_t /*total_allocated*/, int64_t /*total_reserved*/,
                         c10::Device /*device*/) override {
    const int64_t now = live += alloc_size;
    if (alloc_size > 0) ++count;
    int64_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {}
  }
  bool memoryProfilingEnabled() const override { return true; }
};

struct AllocationProbe::Installed {
  explicit Installed(std::shared_ptr<c10::DebugInfoBase> r) : guard(c10::DebugInfoKind::PROFILER_STATE, std::move(r)) {}
  c10::DebugInfoGuard guard;
};

AllocationProbe::AllocationProbe()
    : reporter_(std::make_shared<Reporter>()), installed_(std::make_unique<Installed>(reporter_)) {}

AllocationProbe::~AllocationProbe() = default;

int64_t AllocationProbe::live_bytes() const { return reporter_->live.load(); }
int64_t AllocationProbe::peak_bytes() const { return reporter_->peak.load(); }
int64_t AllocationProbe::allocations() const { return reporter_->count.load(); }

int64_t peak_tensor_bytes(const std::function<void()>& f) {
  AllocationProbe probe;
  f();
  return probe.peak_bytes();
}

}  // namespace tint::optim
