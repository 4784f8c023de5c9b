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

// Rows per vector lane group: each lane of a 16-wide vector holds one row, so the row maxima and sums are plain
// elementwise operations, which g++ vectorizes (reductions along a row it would not, without -ffast-math).
constexpr int64_t kLanes = 16;
// Rows per block of partial sums, fixed so that the loss does not depend on the number of threads.
constexpr int64_t kBlockRows = 1024;
static_assert(kBlockRows % kLanes == 0);

// For each of `rows` (<= kLanes) rows of k logits, the maximum and the log of the sum of exp(logit - maximum): the
// log-sum-exp kept in two parts, so that (x - max) - log_sum is exact in its first step as LibTorch's log_softmax.
// buffer holds k * kLanes floats.
template <typename T>
TINT_INLINE void log_sum_exp(const T* x, int64_t rows, int64_t k, float* __restrict buffer, float* __restrict max,
                             float* __restrict log_sum) {
  // Transposed: buffer[j * kLanes + r] = x[r][j] (row-inner, so that the loads are gathers and the stores whole
  // vectors: 15 % faster than row-outer); the rows of a last, partial group that are missing read as 0.
  if (rows < kLanes) std::fill(buffer, buffer + k * kLanes, 0.0f);
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t r = 0; r < rows; ++r) buffer[j * kLanes + r] = load(x + r * k + j);
  }
  // bad[r] counts NaN and +inf logits: a plain sum, where a NaN test inside the max would make g++ branch (and not
  // vectorize). A -inf logit is an ordinary probability 0.
  float m[kLanes], s[kLanes], bad[kLanes];
  for (int64_t r = 0; r < kLanes; ++r) m[r] = buffer[r], bad[r] = 0.0f;
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t r = 0; r < kLanes; ++r) {
      const float v = buffer[j * kLanes + r];
      m[r] = v > m[r] ? v : m[r];
      bad[r] += v < std::numeric_limits<float>::infinity() ? 0.0f : 1.0f;
    }
  }
  for (int64_t r = 0; r < kLanes; ++r) s[r] = 0.0f;
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t r = 0; r < kLanes; ++r) s[r] += cpu::exp_nonpositive(buffer[j * kLanes + r] - m[r]);
  }
  for (int64_t r = 0; r < rows; ++r) {
    // log_softmax is NaN for a row with a NaN or +inf logit, or all -inf (inf - inf); so is the loss here.
    const bool finite = bad[r] == 0.0f && m[r] > -std::numeric_limits<float>::infinity();
    max[r] = finite ? m[r] : std::numeric_limits<float>::quiet_NaN();
    log_sum[r] = std::log(s[r]);
  }
}

// dx[r][j] = (softmax(x[r])[j] - [j == id[r]]) * scale for `rows` (<= kLanes) rows of k. The rows are walked as one
// flat span with each row's maximum and log-sum repeated across its k entries (row_max and row_log_sum, k * kLanes
// floats), as a loop along one row of 24 is too short for g++ to vectorize; the labelled entry is fixed up after.
template <typename T>
TINT_INLINE void softmax_gradient(const T* x, const int64_t* ids, const float* max, const float* log_sum, int64_t rows,
                                  int64_t k, float scale, T* __restrict dx, float* __restrict row_max,
                                  float* __restrict row_log_sum) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < k; ++j) row_max[r * k + j] = max[r], row_log_sum[r * k + j] = log_sum[r];
  }
  const auto probability = [&](int64_t e) {
    return cpu::exp_nonpositive((load(x + e) - row_max[e]) - row_log_sum[e]);
  };
  for (int64_t e = 0; e < rows * k; ++e) store(dx + e, probability(e) * scale);
  for (int64_t r = 0; r < rows; ++r) {
    if (std::isnan(max[r])) {  // a row with a NaN loss gets a NaN gradient (exp_nonpositive does not pass NaN on)
      for (int64_t j = 0; j < k; ++j) store(dx + r * k + j, std::numeric_limits<float>::quiet_NaN());
    } else {
      store(dx + r * k + ids[r], (probability(r * k + ids[r]) - 1.0f) * scale);
    }
  }
}

#define TINT_INSTANTIATE(T)                                                                                      \
  TINT_CPU_CLONES void log_sum_exp_cpu(const T* x, int64_t rows, int64_t k, float* buffer, float* max,          \
                                       float* log_sum) {                                                        \
    log_sum_exp(x, rows, k, buffer, max, log_sum);                                                              \
  }                                                                                                             \
  TINT_CPU_CLONES void softmax_gradient_cpu(const T* x, const int64_t* ids, const float* max, const float* ls,   \
                                            int64_t rows, int64_t k, float scale, T* dx, float* row_max,        \
                                            float* row_log_sum) {                                               \
    softmax_gradient(x, ids, max, ls, rows, k, scale, dx, row_max, row_log_sum);                                \
  }
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE


struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& ids,
                               bool sum) {
    RECORD_FUNCTION("tint::cross_entropy", std::vector<c10::IValue>());  // named in profiles (bench --profile)
    const int64_t rows = logits.size(0), k = logits.size(1);
    const auto* pid = ids.data_ptr<int64_t>();
    auto max = torch::empty({rows}, torch::kFloat), log_sum = torch::empty({rows}, torch::kFloat);
    auto *pmax = max.data_ptr<float>(), *plog = log_sum.data_ptr<float>();
    std::vector<double> block_loss(block_count(rows, kBlockRows), 0.0);
    std::vector<int64_t> bad_id(block_count(rows, kBlockRows), -1);  // the first row of each block with an id out of range
    visit_element_type(logits, [&](auto element) {
      using T = decltype(element);
      const auto* px = logits.data_ptr<T>();
      at::parallel_for(0, block_count(rows, kBlockRows), 1, [&](int64_t begin, int64_t end) {
        std::vector<float> buffer(k * kLanes);
        for (int64_t blk = begin; blk < end; ++blk) {
          const int64_t first = blk * kBlockRows, last = std::min(rows, first + kBlockRows);
          for (int64_t r = first; r < last; r += kLanes) {
            log_sum_exp_cpu(px + r * k, std::min(kLanes, last - r), k, buffer.data(), pmax + r, plog + r);
          }
          double total = 0.0;
          for (int64_t r = first; r < last; ++r) {
            if (pid[r] < 0 || pid[r] >= k) {
              if (bad_id[blk] < 0) bad_id[blk] = r;
              continue;
            }
            total += (static_cast<double>(pmax[r]) - load(px + r * k + pid[r])) + plog[r];
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
    ctx->save_for_backward({logits, ids, max, log_sum});
    ctx->saved_data["sum"] = sum;
    return torch::tensor(static_cast<float>(sum ? total : total / rows));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &logits = saved[0], &ids = saved[1], &max = saved[2], &log_sum = saved[3];
    const int64_t rows = logits.size(0), k = logits.size(1);
    const float scale = grad_outputs[0].item<float>() / (ctx->saved_data["sum"].toBool() ? 1.0f : rows);
    auto dx = torch::empty_like(logits);
    visit_element_type(logits, [&](auto element) {
      using T = decltype(element);
      const auto* px = logits.data_ptr<T>();
      const auto* pid = ids.data_ptr<int64_t>();
      const auto *pmax = max.data_ptr<float>(), *plog = log_sum.data_ptr<float>();
      auto* pdx = dx.data_ptr<T>();
      at::parallel_for(0, block_count(rows, kBlockRows), 1, [&](int64_t begin, int64_t end) {
        std::vector<float> row_max(k * kLanes), row_log_sum(k * kLanes);
        for (int64_t r = begin * kBlockRows, last = std::min(rows, end * kBlockRows); r < last; r += kLanes) {
          softmax_gradient_cpu(px + r * k, pid + r, pmax + r, plog + r, std::min(kLanes, last - r), k, scale,
                               pdx + r * k, row_max.data(), row_log_sum.data());
        }
      });
    });
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& ids, bool sum) {
  const bool fusable = logits.dim() == 2 && logits.device().is_cpu() && logits.size(0) > 0 && logits.size(1) > 0 &&
                       (logits.scalar_type() == torch::kFloat || logits.scalar_type() == torch::kBFloat16) &&
                       logits.is_contiguous() && ids.dim() == 1 && ids.size(0) == logits.size(0) &&
                       ids.scalar_type() == torch::kLong && ids.device().is_cpu() && ids.is_contiguous();
  if (!fusable) {
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions();
    if (sum) options.reduction(torch::kSum);
    // In float32 at least, as autocast computes it: a bfloat16 log-softmax would lose the loss's precision.
    const bool low = logits.scalar_type() == torch::kBFloat16 || logits.scalar_type() == torch::kHalf;
    return F::cross_entropy(low ? logits.to(torch::kFloat) : logits, ids, options);
  }
  return CrossEntropyFunction::apply(logits, ids, sum);
}

}  // namespace tint::ops
