#include "tint/ops/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include "cross_entropy_kernels.h"

namespace tint::ops {
namespace {

using namespace cpu;  // the kernels' shared helpers (cpu_loops.h)
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Rows per block of partial sums, fixed so that the loss does not depend on the number of threads.
constexpr int64_t kLossBlockRows = 1024;
static_assert(kLossBlockRows % kLanes == 0);

// The lanes kernel on rows [first, last) of one block: whole groups of kLanes rows in place, a last partial group
// through copies padded with zeros. Scratch is the thread's own.
template <typename T>
void lanes_block(const T* px, const int64_t* pid, const float* pw, int64_t first, int64_t last, int64_t k, float scale,
                 float* pmax, float* plog, T* pdx) {
  std::vector<float> exps(kLanes * k), expanded(kLanes * k);
  for (int64_t r = first; r < last; r += kLanes) {
    const int64_t n = std::min(kLanes, last - r);
    T* dx = pdx == nullptr ? nullptr : pdx + r * k;
    if (n == kLanes) {
      softmax_lanes_cpu(px + r * k, pid + r, pw == nullptr ? nullptr : pw + r, k, scale, exps.data(), expanded.data(),
                        pmax + r, plog + r, dx);
      continue;
    }
    std::vector<T> x_tail(kLanes * k, T(0.0f)), dx_tail(kLanes * k, T(0.0f));
    std::vector<int64_t> id_tail(kLanes, 0);
    std::vector<float> weight_tail(kLanes, 0.0f);
    float max_tail[kLanes], log_sum_tail[kLanes];
    std::copy(px + r * k, px + (r + n) * k, x_tail.begin());
    std::copy(pid + r, pid + r + n, id_tail.begin());
    if (pw != nullptr) std::copy(pw + r, pw + r + n, weight_tail.begin());
    softmax_lanes_cpu(x_tail.data(), id_tail.data(), pw == nullptr ? nullptr : weight_tail.data(), k, scale,
                      exps.data(), expanded.data(), max_tail, log_sum_tail, dx == nullptr ? nullptr : dx_tail.data());
    std::copy(max_tail, max_tail + n, pmax + r), std::copy(log_sum_tail, log_sum_tail + n, plog + r);
    if (dx != nullptr) std::copy(dx_tail.begin(), dx_tail.begin() + n * k, dx);
  }
}

// The loss's gradient for logits is computed with the loss (softmax_rows) and kept; backward only scales it.
struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& ids,
                               const c10::optional<torch::Tensor>& weights, bool sum, bool with_gradient, bool wide) {
    RECORD_FUNCTION("tint::cross_entropy", std::vector<c10::IValue>());  // named in profiles (bench --profile)
    const int64_t rows = logits.size(0), k = logits.size(1);
    const float scale = sum ? 1.0f : 1.0f / static_cast<float>(rows);
    const auto* pid = ids.data_ptr<int64_t>();
    const float* pw = weights.has_value() ? weights->data_ptr<float>() : nullptr;
    std::vector<float> max(rows), log_sum(rows);  // per row, for the loss
    float *pmax = max.data(), *plog = log_sum.data();
    const auto gradient = with_gradient ? torch::empty_like(logits) : torch::Tensor();
    std::vector<double> block_loss(block_count(rows, kLossBlockRows), 0.0);
    std::vector<int64_t> bad_id(block_count(rows, kLossBlockRows),
                                -1);  // the first row of each block with an id out of range
    visit_element_type(logits, [&](auto element) {
      using T = decltype(element);
      const auto* px = logits.data_ptr<T>();
      T* pdx = with_gradient ? gradient.data_ptr<T>() : nullptr;
      at::parallel_for(0, block_count(rows, kLossBlockRows), 1, [&](int64_t begin, int64_t end) {
        std::vector<float> wide_exps(wide ? wide_scratch_floats(k) : 0);
        for (int64_t blk = begin; blk < end; ++blk) {
          const int64_t first = blk * kLossBlockRows, last = std::min(rows, first + kLossBlockRows);
          if (wide) {
            softmax_wide_cpu(px + first * k, pid + first, pw == nullptr ? nullptr : pw + first, last - first, k, scale,
                             wide_exps.data(), pmax + first, plog + first, pdx == nullptr ? nullptr : pdx + first * k);
          } else {
            lanes_block(px, pid, pw, first, last, k, scale, pmax, plog, pdx);
          }
          double total = 0.0;
          for (int64_t r = first; r < last; ++r) {
            if (pid[r] < 0 || pid[r] >= k) {
              if (bad_id[blk] < 0) bad_id[blk] = r;
              continue;
            }
            const double row = (static_cast<double>(pmax[r]) - load(px + r * k + pid[r])) + plog[r];
            total += pw == nullptr ? row : pw[r] * row;
          }
          block_loss[blk] = total;
        }
      });
    });
    for (int64_t r : bad_id) {
      TORCH_CHECK(r < 0, "cross_entropy: class id ", pid[r], " of row ", r, " is out of range [0, ", k, ")");
    }
    double total = 0.0;
    for (double b : block_loss) total += b;
    ctx->save_for_backward({gradient});
    return torch::tensor(static_cast<float>(sum ? total : total / rows));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    check_first_order("cross_entropy");
    // Handing out the saved tensor itself: autograd's own accumulation never writes into a tensor that the context
    // still holds (it copies, or steals it once the context has let go), and should a caller change a gradient kept
    // for a second pass (retain_graph) in place, its version counter makes that pass fail loudly rather than
    // return the changed values.
    const auto gradient = ctx->get_saved_variables()[0];
    const auto& g = grad_outputs[0];
    const auto none = torch::Tensor();  // ids, weights, sum, with_gradient and wide have none
    if (g.item<float>() == 1.0f) return {gradient, none, none, none, none, none};
    return {gradient * g.to(torch::kFloat), none, none, none, none, none};
  }
};

}  // namespace

torch::Tensor cpu::cross_entropy_with(cpu::RowKernel kernel, const torch::Tensor& logits, const torch::Tensor& ids,
                                      bool sum, const torch::Tensor& weights) {
  if (weights.defined()) {
    TORCH_CHECK(weights.sizes() == ids.sizes(), "cross_entropy: weights ", weights.sizes(), " do not match ids ",
                ids.sizes());
    TORCH_CHECK(!weights.requires_grad(), "cross_entropy: the row weights are constants, not parameters");
  }
  const bool fusable = logits.dim() == 2 && logits.device().is_cpu() && logits.size(0) > 0 && logits.size(1) > 0 &&
                       (logits.scalar_type() == torch::kFloat || logits.scalar_type() == torch::kBFloat16) &&
                       logits.is_contiguous() && ids.dim() == 1 && ids.size(0) == logits.size(0) &&
                       ids.scalar_type() == torch::kLong && ids.device().is_cpu() && ids.is_contiguous() &&
                       (!weights.defined() || (weights.scalar_type() == torch::kFloat && weights.device().is_cpu() &&
                                               weights.is_contiguous()));
  if (!fusable) {
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions();
    if (weights.defined()) {
      options.reduction(torch::kNone);
    } else if (sum) {
      options.reduction(torch::kSum);
    }
    // In float32 at least, as autocast computes it: a bfloat16 log-softmax would lose the loss's precision.
    const bool low = logits.scalar_type() == torch::kBFloat16 || logits.scalar_type() == torch::kHalf;
    auto loss = F::cross_entropy(low ? logits.to(torch::kFloat) : logits, ids, options);
    if (!weights.defined()) return loss;
    loss = loss * weights.to(loss.scalar_type());
    return sum ? loss.sum() : loss.mean();
  }
  // Function::forward runs without grad mode, so whether the gradient will be asked for is decided here.
  const bool with_gradient = torch::GradMode::is_enabled() && logits.requires_grad();
  // An optional, as autograd::Function takes an absent tensor argument.
  const auto row_weights = weights.defined() ? c10::optional<torch::Tensor>(weights) : c10::nullopt;
  const bool wide = kernel == RowKernel::by_width ? logits.size(1) >= kWideClasses : kernel == RowKernel::wide;
  return CrossEntropyFunction::apply(logits, ids, row_weights, sum, with_gradient, wide);
}

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum,
                            const torch::Tensor& weights) {
  return cpu::cross_entropy_with(cpu::RowKernel::by_width, logits, ids, sum, weights);
}

}  // namespace tint::ops
