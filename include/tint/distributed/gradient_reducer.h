// Gradient synchronisation as PyTorch's DistributedDataParallel does it: the parameters' gradients go into flat
// buckets in a fixed order (reverse registration order, which is roughly the order backward produces them; a small
// first bucket so that communication starts early, then buckets of about 25 MB), and each bucket's allreduce starts
// from an autograd hook as soon as its last gradient is ready, so that communication overlaps the rest of the
// backward pass. Buckets start strictly in order on every worker (a collective must be issued in the same order
// everywhere), so a bucket ready early waits for the ones before it.
//
// Gradients are summed, not averaged: the training loop scales each worker's loss so that the sum is the gradient of
// the whole global batch's loss (workers may hold unequal shares of a last, partial batch).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include <torch/types.h>

namespace c10d {
class Work;
}

namespace tint::distributed {

class Group;

struct BucketOptions {
  int64_t first_bucket_bytes = 1 << 20;   // DDP: 1 MB
  int64_t bucket_bytes = 25 * (1 << 20);  // DDP: 25 MB
};

// What one step of synchronisation cost, for the benchmark and the run's closing note.
struct ReduceStats {
  int buckets = 0;
  int64_t bytes = 0;          // allreduced per step
  double wait_seconds = 0.0;  // finish() waiting for communication after backward returned (not overlapped)
};

class GradientReducer {
 public:
  // `parameters`: those that train (requires_grad), in registration order, all float32 on the CPU.
  GradientReducer(Group& group, std::vector<torch::Tensor> parameters, BucketOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Call before each backward pass (after zero_grad): clears the buckets' readiness.
  void prepare();
  // After backward: starts the buckets not started yet (parameters that got no gradient this step contribute zeros,
  // as DDP's find_unused_parameters), waits for all, and writes the summed gradients into each parameter's grad.
  // A worker with no images in this step calls prepare() and finish() without a backward pass.
  void finish();

  int bucket_count() const { return static_cast<int>(buckets_.size()); }
  const std::vector<int>& bucket_of_parameter() const { return bucket_of_; }
  const ReduceStats& last_step() const { return stats_; }

 private:
  struct Bucket {
    std::vector<int> parameters;  // indices into parameters_
    std::vector<int64_t> offsets;
    torch::Tensor flat;
    int pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  void on_gradient(int parameter, const torch::Tensor& grad);
  void start_ready_buckets();  // under mutex_

  Group& group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Bucket> buckets_;
  std::vector<int> bucket_of_;
  std::vector<bool> ready_;
  std::vector<std::pair<torch::Tensor, unsigned>> hooks_;
  size_t next_to_start_ = 0;
  std::mutex mutex_;
  ReduceStats stats_;
};

}  // namespace tint::distributed
