#include "tint/distributed/gradient_reducer.h"

#include <algorithm>

#include <fmt/core.h>
#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include "tint/core/error.h"
#include "tint/distributed/group.h"

namespace tint::distributed {

namespace {
using Clock = std::chrono::steady_clock;

// The parameter's place in a bucket, shaped as the parameter (contiguous: every worker lays it out alike).
torch::Tensor slot(const torch::Tensor& flat, int64_t offset, const torch::Tensor& like) {
  return flat.slice(0, offset, offset + like.numel()).view(like.sizes());
}
}  // namespace

GradientReducer::GradientReducer(Group& group, std::vector<torch::Tensor> parameters, BucketOptions options)
    : group_(group), parameters_(std::move(parameters)) {
  const auto n = static_cast<int>(parameters_.size());
  bucket_of_.assign(n, -1);
  ready_.assign(n, false);
  // Reverse registration order: the last layers' gradients come first in backward.
  int64_t cap = options.first_bucket_bytes, filled = 0;
  for (int i = n - 1; i >= 0; --i) {
    const auto& p = parameters_[i];
    if (p.scalar_type() != torch::kFloat32 || !p.device().is_cpu()) {
      throw Error(fmt::format("data-parallel training: parameter {} is {} on {}, expected float32 on the CPU", i,
                              c10::toString(p.scalar_type()), p.device().str()));
    }
    const int64_t bytes = p.numel() * static_cast<int64_t>(sizeof(float));
    if (buckets_.empty() || (filled > 0 && filled + bytes > cap)) {
      if (!buckets_.empty()) cap = options.bucket_bytes;
      buckets_.emplace_back();
      filled = 0;
    }
    auto& b = buckets_.back();
    b.offsets.push_back(filled / static_cast<int64_t>(sizeof(float)));
    b.parameters.push_back(i);
    bucket_of_[i] = static_cast<int>(buckets_.size()) - 1;
    filled += bytes;
  }
  for (auto& b : buckets_) {
    int64_t numel = 0;
    for (int i : b.parameters) numel += parameters_[i].numel();
    b.flat = torch::zeros({numel}, torch::kFloat32);
    stats_.bytes += numel * static_cast<int64_t>(sizeof(float));
  }
  stats_.buckets = static_cast<int>(buckets_.size());
  for (int i = 0; i < n; ++i) {
    auto& p = parameters_[i];
    hooks_.emplace_back(p, p.register_hook([this, i](const torch::Tensor& grad) { on_gradient(i, grad); }));
  }
  prepare();
}

GradientReducer::~GradientReducer() {
  for (auto& [p, handle] : hooks_) p.remove_hook(handle);
}

void GradientReducer::prepare() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fill(ready_.begin(), ready_.end(), false);
  for (auto& b : buckets_) {
    b.pending = static_cast<int>(b.parameters.size());
    b.work.reset();
  }
  next_to_start_ = 0;
}

void GradientReducer::on_gradient(int parameter, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& b = buckets_[bucket_of_[parameter]];
  if (ready_[parameter]) {
    throw Error(
        fmt::format("data-parallel training: parameter {} received a second gradient in one backward pass "
                    "(a parameter used twice, or backward called twice per step)",
                    parameter));
  }
  const auto k = std::find(b.parameters.begin(), b.parameters.end(), parameter) - b.parameters.begin();
  torch::NoGradGuard no_grad;
  slot(b.flat, b.offsets[k], parameters_[parameter]).copy_(grad);
  ready_[parameter] = true;
  --b.pending;
  start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].pending == 0) {
    auto& b = buckets_[next_to_start_++];
    b.work = group_.start_allreduce_sum(b.flat);
  }
}

void GradientReducer::finish() {
  torch::NoGradGuard no_grad;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Parameters that got no gradient this step (or a worker that had no images) contribute zeros.
    for (auto& b : buckets_) {
      if (b.pending == 0) continue;
      for (size_t k = 0; k < b.parameters.size(); ++k) {
        const int i = b.parameters[k];
        if (!ready_[i]) slot(b.flat, b.offsets[k], parameters_[i]).zero_();
      }
      b.pending = 0;
    }
    start_ready_buckets();
  }
  const auto t0 = Clock::now();
  for (auto& b : buckets_) group_.wait(b.work, "the gradient allreduce");
  stats_.wait_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& b : buckets_) {
    for (size_t k = 0; k < b.parameters.size(); ++k) {
      auto& p = parameters_[b.parameters[k]];
      auto summed = slot(b.flat, b.offsets[k], p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(summed);
      } else {
        p.mutable_grad() = summed.clone(p.suggest_memory_format());
      }
    }
  }
}

}  // namespace tint::distributed
