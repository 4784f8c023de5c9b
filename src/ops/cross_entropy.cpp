#include "tint/ops/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include "cpu_loops.h"

namespace tint::ops {
namespace {

using namespace cpu;  // the kernels' shared helpers (cpu_loops.h)
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Rows per vector lane group: each lane of a vector holds one row, so the row maxima and sums are plain
// elementwise operations on cpu::Floats (g++ does not vectorize reductions along a row without -ffast-math).
constexpr int64_t kLanes = kVectorFloats;
using Lanes = Floats;
// Rows per block of partial sums, fixed so that the loss does not depend on the number of threads.
constexpr int64_t kLossBlockRows = 1024;
static_assert(kLossBlockRows % kLanes == 0);

// For kLanes rows of k logits: each row's maximum, the log of the sum of exp(logit - maximum) (the log-sum-exp kept
// in two parts, so that the loss is (max - x[id]) + log_sum), and, where dx is not null, the gradient
// dx[r][j] = (softmax(x[r])[j] - [j == id[r]]) * scale, times weights[r] where weights is not null. The gradient is
// written here rather than in a backward pass because the loss is the end of the graph: its own gradient is 1
// unless a caller scales it, and the exponentials are at hand; a backward pass would read the logits again and
// recompute them (it took 7 % of a step).
// Reductions along a row run across rows instead, one row per vector lane (a row of 24 is 1.5 AVX-512 vectors, and
// g++ does not vectorize a float reduction without -ffast-math); elementwise work runs over the group as one flat
// span, each row's maximum and scale repeated across its k entries in `expanded`. exps and expanded hold
// kLanes * k floats.
template <typename T>
TINT_INLINE void softmax_rows(const T* x, const int64_t* ids, const float* weights, int64_t k, float scale,
                              float* __restrict exps, float* __restrict expanded, float* __restrict max,
                              float* __restrict log_sum, T* __restrict dx) {
  // bad[r] counts NaN and +inf logits: a plain sum, where a NaN test inside the max would make g++ branch (and not
  // vectorize). A -inf logit is an ordinary probability 0.
  // The column loops are written with GCC's vector type (one lane per row): g++ would unroll a 16-trip loop of
  // strided loads into scalar code.
  Lanes m, bad = {}, s = {};
  for (int64_t r = 0; r < kLanes; ++r) m[r] = load(x + r * k);
  for (int64_t j = 0; j < k; ++j) {
    Lanes v;
    for (int64_t r = 0; r < kLanes; ++r) v[r] = load(x + r * k + j);
    m = v > m ? v : m;
    bad += v < std::numeric_limits<float>::infinity() ? Lanes{} : Lanes{} + 1.0f;
  }
  for (int64_t r = 0; r < kLanes; ++r) {
    for (int64_t j = 0; j < k; ++j) expanded[r * k + j] = m[r];
  }
  for (int64_t i = 0; i < kLanes * k; ++i) exps[i] = cpu::exp_nonpositive(load(x + i) - expanded[i]);
  for (int64_t j = 0; j < k; ++j) {
    Lanes v;
    for (int64_t r = 0; r < kLanes; ++r) v[r] = exps[r * k + j];
    s += v;
  }
  for (int64_t r = 0; r < kLanes; ++r) {
    // log_softmax is NaN for a row with a NaN or +inf logit, or all -inf (inf - inf); so is the loss here.
    const bool finite = bad[r] == 0.0f && m[r] > -std::numeric_limits<float>::infinity();
    max[r] = finite ? m[r] : std::numeric_limits<float>::quiet_NaN();
    log_sum[r] = log_at_least_one(s[r]);  // s >= 1: the maximum's own term is exp(0)
  }
  if (dx == nullptr) return;
  float row_scale[kLanes];  // a weighted row's gradient is its weight times an unweighted one's
  for (int64_t r = 0; r < kLanes; ++r) row_scale[r] = weights == nullptr ? scale : scale * weights[r];
  for (int64_t r = 0; r < kLanes; ++r) {
    const float inverse = row_scale[r] / s[r];
    for (int64_t j = 0; j < k; ++j) expanded[r * k + j] = inverse;
  }
  for (int64_t i = 0; i < kLanes * k; ++i) store(dx + i, exps[i] * expanded[i]);
  for (int64_t r = 0; r < kLanes; ++r) {
    if (std::isnan(max[r])) {  // a row with a NaN loss gets a NaN gradient (exp_nonpositive does not pass NaN on)
      for (int64_t j = 0; j < k; ++j) store(dx + r * k + j, std::numeric_limits<float>::quiet_NaN());
    } else if (ids[r] >= 0 && ids[r] < k) {  // the caller reports ids out of range
      store(dx + r * k + ids[r], exps[r * k + ids[r]] * expanded[r * k] - row_scale[r]);
    }
  }
}

// One function per CPU variant for each element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                                   \
  TINT_CPU_KERNEL(softmax_rows_cpu, softmax_rows,                                                             \
                  (const T* x, const int64_t* ids, const float* weights, int64_t k, float scale, float* exps, \
                   float* expanded, float* max, float* log_sum, T* dx),                                       \
                  (x, ids, weights, k, scale, exps, expanded, max, log_sum, dx))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

// The loss's gradient for logits is computed with the loss (softmax_rows) and kept; backward only scales it.
struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& ids,
                               const c10::optional<torch::Tensor>& weights, bool sum, bool with_gradient) {
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
        std::vector<float> exps(kLanes * k), expanded(kLanes * k);
        // A last group of fewer than kLanes rows goes through copies padded with zeros.
        std::vector<T> x_tail, dx_tail;
        std::vector<int64_t> id_tail;
        std::vector<float> weight_tail;
        float max_tail[kLanes], log_sum_tail[kLanes];
        for (int64_t blk = begin; blk < end; ++blk) {
          const int64_t first = blk * kLossBlockRows, last = std::min(rows, first + kLossBlockRows);
          for (int64_t r = first; r < last; r += kLanes) {
            const int64_t n = std::min(kLanes, last - r);
            T* dx = pdx == nullptr ? nullptr : pdx + r * k;
            if (n == kLanes) {
              softmax_rows_cpu(px + r * k, pid + r, pw == nullptr ? nullptr : pw + r, k, scale, exps.data(),
                               expanded.data(), pmax + r, plog + r, dx);
              continue;
            }
            x_tail.assign(kLanes * k, T(0.0f)), dx_tail.assign(kLanes * k, T(0.0f)), id_tail.assign(kLanes, 0);
            std::copy(px + r * k, px + (r + n) * k, x_tail.begin());
            std::copy(pid + r, pid + r + n, id_tail.begin());
            if (pw != nullptr) weight_tail.assign(kLanes, 0.0f), std::copy(pw + r, pw + r + n, weight_tail.begin());
            softmax_rows_cpu(x_tail.data(), id_tail.data(), pw == nullptr ? nullptr : weight_tail.data(), k, scale,
                             exps.data(), expanded.data(), max_tail, log_sum_tail,
                             dx == nullptr ? nullptr : dx_tail.data());
            std::copy(max_tail, max_tail + n, pmax + r), std::copy(log_sum_tail, log_sum_tail + n, plog + r);
            if (dx != nullptr) std::copy(dx_tail.begin(), dx_tail.begin() + n * k, dx);
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
    if (g.item<float>() == 1.0f) return {gradient, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    return {gradient * g.to(torch::kFloat), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum,
                            const torch::Tensor& weights) {
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
  return CrossEntropyFunction::apply(logits, ids, row_weights, sum, with_gradient);
}

}  // namespace tint::ops
