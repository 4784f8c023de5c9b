#include "tint/distributed/data_parallel.h"

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::distributed {

namespace {

// The tensors flattened into one float64 buffer (one collective for all), and back.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}).to(torch::kFloat64));
  return flat.empty() ? torch::empty({0}, torch::kFloat64) : torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& t : tensors) {
    const auto part = flat.slice(0, offset, offset + t.numel()).view(t.sizes());
    const_cast<torch::Tensor&>(t).copy_(part);
    offset += t.numel();
  }
}

}  // namespace

int resumed_batch_size(int batch_size, int world_size, int workers, const std::string& run) {
  const int64_t global = int64_t{batch_size} * world_size;
  if (global % workers != 0) {
    throw Error(
        fmt::format("{} was trained by {} worker(s) with batch {} each (global batch {}), which {} workers "
                    "cannot share evenly: resume it with a number of workers that divides {}",
                    run, world_size, batch_size, global, workers, global));
  }
  return static_cast<int>(global / workers);
}

std::pair<int64_t, int64_t> DataParallel::share(int64_t begin, int64_t end) const {
  const int64_t n = end - begin, workers = size(), r = rank();
  const int64_t base = n / workers, extra = n % workers;
  const int64_t first = begin + r * base + std::min(r, extra);
  return {first, first + base + (r < extra ? 1 : 0)};
}

void DataParallel::attach(torch::nn::Module& model, BucketOptions buckets) {
  model_ = &model;
  if (!distributed()) return;
  // Seeded initialization is already equal on every worker; the broadcast makes that a guarantee (and covers a
  // model restored from a checkpoint only rank 0 could read). float64 carries float32 and integer buffers exactly.
  auto parameters = model.parameters();
  auto state = flatten(parameters);
  group_->broadcast(state);
  unflatten(state, parameters);
  broadcast_buffers();
  std::vector<torch::Tensor> trained;
  for (const auto& p : parameters)
    if (p.requires_grad()) trained.push_back(p);
  reducer_ = std::make_unique<GradientReducer>(*group_, trained, buckets);
}

void DataParallel::broadcast_buffers() {
  if (!distributed() || model_ == nullptr) return;
  auto buffers = model_->buffers();
  if (buffers.empty()) return;
  auto flat = flatten(buffers);
  group_->broadcast(flat);
  unflatten(flat, buffers);
}

void DataParallel::before_backward() {
  if (reducer_) reducer_->prepare();
}

void DataParallel::after_backward() {
  if (reducer_) reducer_->finish();
}

void DataParallel::sum(std::vector<double>& values) {
  if (!distributed()) return;
  auto t = torch::tensor(values, torch::kFloat64);
  group_->allreduce_sum(t);
  for (size_t i = 0; i < values.size(); ++i) values[i] = t[static_cast<int64_t>(i)].item<double>();
}

std::function<void(torch::Tensor&)> DataParallel::tensor_sum() {
  if (!distributed()) return {};
  Group* group = group_;
  return [group](torch::Tensor& t) { group->allreduce_sum(t); };
}

std::string DataParallel::from_leader(const std::function<std::string()>& make) {
  if (!distributed()) return make();
  return group_->broadcast_bytes(leader() ? make() : std::string());
}

}  // namespace tint::distributed
