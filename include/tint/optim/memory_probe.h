// Measures the CPU tensor memory a computation holds at its peak. LibTorch's CPU allocator reports every allocation
// and free to a "memory reporting" hook when one is installed on the calling thread (the hook its profiler uses);
// the probe installs one and keeps a running total of live bytes, so the peak is exact for tensor storage allocated
// while the probe lives. It does not see memory that is not tensor storage (the autograd nodes themselves, the rest of
// the C++ heap), nor allocations made on other threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace tint::optim {

class AllocationProbe {
 public:
  AllocationProbe();   // starts counting allocations made on this thread
  ~AllocationProbe();  // stops
  AllocationProbe(const AllocationProbe&) = delete;
  AllocationProbe& operator=(const AllocationProbe&) = delete;

  int64_t live_bytes() const;   // allocated minus freed since the probe started
  int64_t peak_bytes() const;   // the largest live_bytes seen
  int64_t allocations() const;  // how many allocations were reported

 private:
  struct Reporter;
  struct Installed;
  std::shared_ptr<Reporter> reporter_;
  std::unique_ptr<Installed> installed_;
};

// Runs f and returns the peak of tensor storage it held. Tensors that f frees must have been allocated by f
// (freeing older ones would make the allocator warn that it cannot size them).
int64_t peak_tensor_bytes(const std::function<void()>& f);

}  // namespace tint::optim
