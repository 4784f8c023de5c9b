#include "tint/ops/batch_norm_relu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

// Rows per block of partial sums. Fixed, so that the blocks and the order they are added in do not depend on the
// number of threads.
constexpr int64_t kStatsBlockRows = 256;
// The loops below walk a block as a flat array in spans of kGroupRows rows, reading per-channel constants repeated
// kGroupRows times: 16 rows of any number of channels are a whole number of vectors of any width, where one row of
// 24 channels (ConvTransposeNet's last block) is 1.5 AVX-512 vectors and spent most of its time in the scalar tail.
constexpr int64_t kGroupRows = 16;
static_assert(kStatsBlockRows % kGroupRows == 0);

// Per-channel constants of one pass, each repeated kGroupRows times, float32 as the loops read them.
struct Channels {
  int64_t channels;
  std::vector<float> mean, scale, shift;  // pre-activation = x * scale + shift
  std::vector<float> a, b, d;             // backward: dx = a * g + b * (x - mean) + d
  explicit Channels(int64_t c) : channels(c) {
    for (auto* v : {&mean, &scale, &shift, &a, &b, &d}) v->resize(c * kGroupRows);
  }
  int64_t period() const { return channels * kGroupRows; }
  static void set(std::vector<float>& v, int64_t c, float value) {
    for (size_t i = c; i < v.size(); i += v.size() / kGroupRows) v[i] = value;
  }
};

// Sums of x and x^2 at each position of a span, over the n elements at x.
template <typename T>
TINT_INLINE void sum_moments(const T* x, int64_t n, int64_t period, float* __restrict s1, float* __restrict s2) {
  for (int64_t i = 0; i < n; i += period, x += period) {
    const int64_t len = std::min(period, n - i);
    for (int64_t j = 0; j < len; ++j) {
      const float v = load(x + j);
      s1[j] += v;
      s2[j] += v * v;
    }
  }
}

// The exact fma is what makes the backward pass's recomputed ReLU mask equal the forward pass's, on any CPU.
TINT_INLINE float pre_activation(float x, const float* scale, const float* shift, int64_t j) {
  return std::fma(x, scale[j], shift[j]);
}

// v where the ReLU passed its input, else 0 (as torch's threshold_backward: also for an infinite or NaN v). A bit mask
// rather than `keep ? v : 0`, which g++ turns into a branch inside a summing loop and then does not vectorize.
TINT_INLINE float relu_mask(float v, bool keep) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(keep);
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

template <typename T>
TINT_INLINE void affine_relu(const T* x, T* __restrict y, int64_t n, const Channels& k) {
  const float *scale = k.scale.data(), *shift = k.shift.data();
  const int64_t period = k.period();
  for (int64_t i = 0; i < n; i += period, x += period, y += period) {
    const int64_t len = std::min(period, n - i);
    for (int64_t j = 0; j < len; ++j) {
      const float v = pre_activation(load(x + j), scale, shift, j);
      store(y + j, v < 0.0f ? 0.0f : v);  // written this way round so that NaN passes through, as torch::relu's
    }
  }
}

// Sums of g and g * (x - mean) at each position of a span, g being the gradient after the ReLU mask.
template <typename T>
TINT_INLINE void sum_gradients(const T* x, const T* dy, int64_t n, const Channels& k, float* __restrict sg,
                               float* __restrict sgx) {
  const float *mean = k.mean.data(), *scale = k.scale.data(), *shift = k.shift.data();
  const int64_t period = k.period();
  for (int64_t i = 0; i < n; i += period, x += period, dy += period) {
    const int64_t len = std::min(period, n - i);
    for (int64_t j = 0; j < len; ++j) {
      const float xv = load(x + j);
      const float g = relu_mask(load(dy + j), pre_activation(xv, scale, shift, j) > 0.0f);
      sg[j] += g;
      sgx[j] += g * (xv - mean[j]);
    }
  }
}

template <typename T>
TINT_INLINE void input_gradient(const T* x, const T* dy, T* __restrict dx, int64_t n, const Channels& k) {
  const float *mean = k.mean.data(), *scale = k.scale.data(), *shift = k.shift.data();
  const float *a = k.a.data(), *b = k.b.data(), *d = k.d.data();
  const int64_t period = k.period();
  for (int64_t i = 0; i < n; i += period, x += period, dy += period, dx += period) {
    const int64_t len = std::min(period, n - i);
    for (int64_t j = 0; j < len; ++j) {
      const float xv = load(x + j);
      const float g = relu_mask(load(dy + j), pre_activation(xv, scale, shift, j) > 0.0f);
      store(dx + j, a[j] * g + b[j] * (xv - mean[j]) + d[j]);
    }
  }
}

// One function per CPU variant for each loop and element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                                           \
  TINT_CPU_KERNEL(sum_moments_cpu, sum_moments, (const T* x, int64_t n, int64_t period, float* s1, float* s2),        \
                  (x, n, period, s1, s2))                                                                             \
  TINT_CPU_KERNEL(affine_relu_cpu, affine_relu, (const T* x, T* y, int64_t n, const Channels& k), (x, y, n, k))       \
  TINT_CPU_KERNEL(sum_gradients_cpu, sum_gradients,                                                                   \
                  (const T* x, const T* dy, int64_t n, const Channels& k, float* sg, float* sgx),                     \
                  (x, dy, n, k, sg, sgx))                                                                             \
  TINT_CPU_KERNEL(input_gradient_cpu, input_gradient, (const T* x, const T* dy, T* dx, int64_t n, const Channels& k), \
                  (x, dy, dx, n, k))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

// Runs f(first_row, row_count, block) over the row blocks in parallel.
template <typename F>
void for_blocks(int64_t rows, const F& f) {
  at::parallel_for(0, block_count(rows, kStatsBlockRows), 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t first = blk * kStatsBlockRows;
      f(first, std::min(kStatsBlockRows, rows - first), blk);
    }
  });
}

// Per-channel totals of two quantities that `partial(first_row, row_count, s, t)` adds up at each position of a span
// (Channels::period() positions) over a block of rows; the blocks' totals are added in block order.
template <typename F>
std::pair<std::vector<double>, std::vector<double>> channel_sums(int64_t rows, int64_t channels, const F& partial) {
  const int64_t period = channels * kGroupRows;
  std::vector<double> blocks(2 * channels * block_count(rows, kStatsBlockRows), 0.0);
  at::parallel_for(0, block_count(rows, kStatsBlockRows), 1, [&](int64_t begin, int64_t end) {
    std::vector<float> s(period), t(period);  // kGroupRows terms each, then double; one pair per thread's range
    for (int64_t blk = begin; blk < end; ++blk) {
      std::fill(s.begin(), s.end(), 0.0f);
      std::fill(t.begin(), t.end(), 0.0f);
      const int64_t first = blk * kStatsBlockRows;
      partial(first, std::min(kStatsBlockRows, rows - first), s.data(), t.data());
      double* out = blocks.data() + 2 * channels * blk;
      for (int64_t g = 0; g < kGroupRows; ++g) {
        for (int64_t c = 0; c < channels; ++c) {
          out[c] += s[g * channels + c];
          out[channels + c] += t[g * channels + c];
        }
      }
    }
  });
  std::vector<double> s(channels, 0.0), t(channels, 0.0);
  for (int64_t blk = 0; blk < block_count(rows, kStatsBlockRows); ++blk) {
    const double* p = blocks.data() + 2 * channels * blk;
    for (int64_t c = 0; c < channels; ++c) {
      s[c] += p[c];
      t[c] += p[channels + c];
    }
  }
  return {std::move(s), std::move(t)};
}

// A float32 CPU vector of `size` elements.
bool is_channel_vector(const torch::Tensor& t, int64_t size) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.dim() == 1 && t.size(0) == size &&
         t.is_contiguous();
}

bool fusable(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
             const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training) {
  if (x.dim() != 4 || !x.device().is_cpu() || x.numel() == 0 ||
      (x.scalar_type() != torch::kFloat && x.scalar_type() != torch::kBFloat16) ||
      !x.is_contiguous(torch::MemoryFormat::ChannelsLast)) {
    return false;
  }
  const int64_t c = x.size(1);
  const bool stats = running_mean.defined() || running_var.defined();
  return is_channel_vector(weight, c) && is_channel_vector(bias, c) &&
         (stats ? is_channel_vector(running_mean, c) && is_channel_vector(running_var, c) : training);
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const auto f = t.to(torch::kFloat).contiguous();
  return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

torch::Tensor to_tensor(const std::vector<float>& v) { return torch::tensor(v, torch::kFloat); }

// The forward pass's per-channel affine map, computed the same way in both passes so that the backward pass
// recomputes exactly the forward pass's ReLU mask.
Channels affine(const std::vector<float>& mean, const std::vector<float>& invstd, const std::vector<float>& gamma,
                const std::vector<float>& beta) {
  Channels k(static_cast<int64_t>(mean.size()));
  for (size_t c = 0; c < mean.size(); ++c) {
    const float scale = gamma[c] * invstd[c];
    Channels::set(k.mean, c, mean[c]);
    Channels::set(k.scale, c, scale);
    Channels::set(k.shift, c, beta[c] - mean[c] * scale);
  }
  return k;
}

struct BatchNormReLUFunction : public torch::autograd::Function<BatchNormReLUFunction> {
  // input_bias: a per-channel bias added to x before the normalization, or an empty tensor for none.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& input_bias,
                               const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
                               double momentum, double eps, int64_t repeats) {
    RECORD_FUNCTION("tint::batch_norm_relu", std::vector<c10::IValue>());  // named in profiles (bench --profile)
    const int64_t channels = x.size(1), rows = x.numel() / channels;
    const bool has_input_bias = input_bias.numel() > 0;
    const auto b = has_input_bias ? to_vector(input_bias) : std::vector<float>(channels, 0.0f);
    std::vector<float> mean(channels), invstd(channels);
    if (training) {
      const auto [s1, s2] = visit_element_type(x, [&](auto element) {
        const auto* px = x.data_ptr<decltype(element)>();
        return channel_sums(rows, channels, [&](int64_t first, int64_t count, float* s, float* t) {
          sum_moments_cpu(px + first * channels, count * channels, channels * kGroupRows, s, t);
        });
      });
      float* rm = running_mean.numel() > 0 ? running_mean.data_ptr<float>() : nullptr;
      float* rv = running_var.numel() > 0 ? running_var.data_ptr<float>() : nullptr;
      for (int64_t c = 0; c < channels; ++c) {
        const double m = s1[c] / rows, var = std::max(0.0, s2[c] / rows - m * m);
        mean[c] = static_cast<float>(m);
        invstd[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
        if (rm != nullptr) {  // LibTorch's update: the biased variance normalizes, the unbiased one is tracked
          rm[c] = static_cast<float>((1 - momentum) * rm[c] + momentum * (m + b[c]));
          const double n = static_cast<double>(rows) * repeats;
          rv[c] = static_cast<float>((1 - momentum) * rv[c] + momentum * var * n / (n - 1));
        }
      }
    } else {
      // (x + b - running_mean): x's own mean stands at running_mean - b.
      mean = to_vector(running_mean);
      const auto var = to_vector(running_var);
      for (int64_t c = 0; c < channels; ++c) {
        mean[c] -= b[c];
        invstd[c] = static_cast<float>(1.0 / std::sqrt(var[c] + eps));
      }
    }
    const auto k = affine(mean, invstd, to_vector(weight), to_vector(bias));
    auto y = torch::empty_like(x, torch::MemoryFormat::ChannelsLast);
    visit_element_type(x, [&](auto element) {
      using T = decltype(element);
      const auto* px = x.data_ptr<T>();
      auto* py = y.data_ptr<T>();
      for_blocks(rows, [&](int64_t first, int64_t count, int64_t) {
        affine_relu_cpu(px + first * channels, py + first * channels, count * channels, k);
      });
    });
    ctx->save_for_backward({x, weight, bias});
    ctx->saved_data["input_bias"] = has_input_bias;
    ctx->saved_data["mean"] = to_tensor(mean);
    ctx->saved_data["invstd"] = to_tensor(invstd);
    ctx->saved_data["training"] = training;
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    check_first_order("batch_norm_relu");
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &bias = saved[2];
    const auto dy = as_channels_last(grad_outputs[0], x.scalar_type());
    const bool training = ctx->saved_data["training"].toBool();
    const int64_t channels = x.size(1), rows = x.numel() / channels;
    const auto mean = to_vector(ctx->saved_data["mean"].toTensor());
    const auto invstd = to_vector(ctx->saved_data["invstd"].toTensor());
    const auto gamma = to_vector(weight);
    auto k = affine(mean, invstd, gamma, to_vector(bias));
    auto dx = torch::empty_like(x, torch::MemoryFormat::ChannelsLast);
    auto dweight = torch::empty({channels}, weight.options());
    auto dbias = torch::empty({channels}, bias.options());
    // In training the normalization removes any per-channel constant, so the input bias's gradient is exactly 0;
    // in evaluation it is the sum of dx over the channel's values.
    const bool has_input_bias = ctx->saved_data["input_bias"].toBool();
    auto dinput_bias = has_input_bias ? torch::zeros({channels}, weight.options()) : torch::Tensor();
    auto* pw = dweight.data_ptr<float>();
    auto* pb = dbias.data_ptr<float>();
    auto* pib = has_input_bias ? dinput_bias.data_ptr<float>() : nullptr;
    visit_element_type(x, [&](auto element) {
      using T = decltype(element);
      const auto* px = x.data_ptr<T>();
      const auto* pdy = dy.data_ptr<T>();
      const auto [sg, sgx] = channel_sums(rows, channels, [&](int64_t first, int64_t count, float* s, float* t) {
        sum_gradients_cpu(px + first * channels, pdy + first * channels, count * channels, k, s, t);
      });
      // dx = gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)) in training, where the statistics depend on x;
      // gamma * invstd * g in evaluation, where they are constants.
      for (int64_t c = 0; c < channels; ++c) {
        const double a = static_cast<double>(gamma[c]) * invstd[c];
        pw[c] = static_cast<float>(sgx[c] * invstd[c]);
        pb[c] = static_cast<float>(sg[c]);
        if (pib != nullptr && !training) pib[c] = static_cast<float>(a * sg[c]);
        Channels::set(k.a, c, static_cast<float>(a));
        Channels::set(k.b, c, training ? static_cast<float>(-a * invstd[c] * invstd[c] * sgx[c] / rows) : 0.0f);
        Channels::set(k.d, c, training ? static_cast<float>(-a * sg[c] / rows) : 0.0f);
      }
      auto* pdx = dx.data_ptr<T>();
      for_blocks(rows, [&](int64_t first, int64_t count, int64_t) {
        const int64_t o = first * channels;
        input_gradient_cpu(px + o, pdy + o, pdx + o, count * channels, k);
      });
    });
    return {dx,
            dweight,
            dbias,
            dinput_bias,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor batch_norm_relu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
                              double momentum, double eps, const torch::Tensor& input_bias, int64_t repeats) {
  TORCH_CHECK(repeats >= 1, "batch_norm_relu: repeats must be at least 1, got ", repeats);
  if (!fusable(x, weight, bias, running_mean, running_var, training) ||
      (input_bias.defined() && !is_channel_vector(input_bias, x.size(1)))) {
    const auto input = input_bias.defined() ? x + input_bias.view({1, -1, 1, 1}) : x;
    if (repeats == 1 || !training || !running_mean.defined() || !running_var.defined()) {
      return torch::relu(
          torch::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, true));
    }
    // The running variance counts every repeated value: the statistics are tracked here, the batch's normalize.
    TORCH_CHECK(input.dim() >= 2, "batch_norm_relu: expected (N, C, ...), got ", input.sizes());
    if (input.numel() > 0) {
      torch::NoGradGuard no_grad;
      std::vector<int64_t> dims{0};  // all but the channels
      for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
      const auto values = input.to(torch::kDouble);
      const double n = static_cast<double>(input.numel() / input.size(1)) * static_cast<double>(repeats);
      running_mean.mul_(1 - momentum).add_(values.mean(dims).to(running_mean.scalar_type()), momentum);
      running_var.mul_(1 - momentum)
          .add_((values.var(dims, /*unbiased=*/false) * (n / (n - 1))).to(running_var.scalar_type()), momentum);
    }
    return torch::relu(torch::batch_norm(input, weight, bias, {}, {}, true, momentum, eps, true));
  }
  TORCH_CHECK(!training || x.numel() / x.size(1) * repeats > 1,
              "Expected more than 1 value per channel when training, got input size ", x.sizes());
  // Custom functions cannot take undefined tensors in LibTorch 1.13: an empty tensor stands for "none".
  const auto none = torch::empty({0});
  return BatchNormReLUFunction::apply(x, weight, bias, input_bias.defined() ? input_bias : none,
                                      running_mean.defined() ? running_mean : none,
                                      running_var.defined() ? running_var : none, training, momentum, eps, repeats);
}

}  // namespace tint::ops
