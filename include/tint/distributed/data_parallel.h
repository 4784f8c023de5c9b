// What a training loop needs to run as one worker of a data-parallel job (or as a plain process when there is no
// group): its share of each global batch, a model that starts identical everywhere, gradients summed across workers
// during backward (GradientReducer), batchnorm buffers kept equal (broadcast from rank 0 before each forward, as
// DDP's broadcast_buffers), numbers summed across workers, and values only rank 0 computes (a fitted palette, a
// checkpoint read from its disk) sent to all.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>

#include "tint/distributed/gradient_reducer.h"
#include "tint/distributed/group.h"

namespace tint::distributed {

// A run trained by `world_size` workers of `batch_size` images, resumed by `workers`: the batch per worker that keeps
// its global batch (so that it continues the same optimization). Throws tint::Error naming `run` when `workers` cannot
// share the global batch evenly.
int resumed_batch_size(int batch_size, int world_size, int workers, const std::string& run);

class DataParallel {
 public:
  explicit DataParallel(Group* group = nullptr) : group_(group) {}
  bool distributed() const { return group_ != nullptr && group_->size() > 1; }
  int rank() const { return group_ ? group_->rank() : 0; }
  int size() const { return group_ ? group_->size() : 1; }
  bool leader() const { return rank() == 0; }
  Group* group() const { return group_; }

  // This worker's part [first, last) of the items [begin, end): contiguous, the first (end - begin) % size workers
  // holding one more. Concatenated in rank order, the parts are [begin, end).
  std::pair<int64_t, int64_t> share(int64_t begin, int64_t end) const;

  // Makes `model`'s parameters and buffers rank 0's and, when distributed, hooks the gradient reducer to the
  // parameters that train. Call once, after the model is built or restored and before the optimizer steps.
  void attach(torch::nn::Module& model, BucketOptions buckets = {});
  // Rank 0's buffers (batchnorm statistics) on every worker; nothing when not distributed.
  void broadcast_buffers();
  void before_backward();  // after zero_grad
  void after_backward();   // summed gradients in every parameter's grad
  const GradientReducer* reducer() const { return reducer_.get(); }

  // In-place sum over workers (identity when not distributed), in double.
  void sum(std::vector<double>& values);
  // A function summing a tensor in place across workers, for synchronised batchnorm.
  std::function<void(torch::Tensor&)> tensor_sum();
  // `make()` run on rank 0 only, its result on every worker. An exception on rank 0 stops all of them.
  std::string from_leader(const std::function<std::string()>& make);

 private:
  Group* group_;
  torch::nn::Module* model_ = nullptr;
  std::unique_ptr<GradientReducer> reducer_;
};

}  // namespace tint::distributed
