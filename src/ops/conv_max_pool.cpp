#include "tint/ops/conv_max_pool.h"

#include <cstring>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include "autocast.h"
#include "cpu_loops.h"
#include "tint/ops/resample.h"

namespace tint::ops {
namespace {

using namespace cpu;  // the kernels' shared helpers (cpu_loops.h)
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

TINT_INLINE Floats load_v(const float* p) {
  Floats v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
TINT_INLINE void store_v(float* p, Floats v) { std::memcpy(p, &v, sizeof v); }

// a where mask (all ones or all zeros per lane), else b. Spelled as bit operations: g++ lowers a vector ?: whose
// condition is not a single comparison to one branch per lane.
TINT_INLINE Floats select(Bits mask, Floats a, Floats b) {
  Bits ua, ub;
  std::memcpy(&ua, &a, sizeof ua);
  std::memcpy(&ub, &b, sizeof ub);
  const Bits r = (ua & mask) | (ub & ~mask);
  Floats out;
  std::memcpy(&out, &r, sizeof out);
  return out;
}
TINT_INLINE Bits is_nan(Floats v) { return reinterpret_cast<Bits>(v != v); }

// The value the separate convolution would have stored: itself in float32, rounded to nearest even in bfloat16 (as
// cpu::store rounds), so that the pooling compares what LibTorch's pooling would compare.
TINT_INLINE Floats stored_as(float, Floats v) { return v; }
TINT_INLINE Floats stored_as(c10::BFloat16, Floats v) {
  Bits bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits = bfloat16_rounded(bits) & 0xFFFF0000u;
  Floats rounded;
  std::memcpy(&rounded, &bits, sizeof rounded);
  return select(is_nan(v), v, rounded);  // NaN stays NaN
}

// LibTorch's choice within a window scanned in row-major order: a later value wins if larger or NaN.
TINT_INLINE void take_over(Floats v, float index, Floats& m, Floats& k) {
  const Bits wins = reinterpret_cast<Bits>(v > m) | is_nan(v);
  m = select(wins, v, m);
  k = select(wins, Floats{} + index, k);
}

// One pooled output row. p: the padded input at the window row's top-left (row stride wp); wt: the weights as
// (kh * kw, c16) floats; y and chosen: width_out pixels of c channels; s_y, s_k: c16 floats of scratch each.
template <typename T>
TINT_INLINE void conv_pool_row(const float* p, int64_t wp, const float* wt, int64_t kh, int64_t kw, int64_t c,
                               int64_t c16, int64_t width_out, T* __restrict y, T* __restrict chosen,
                               float* __restrict s_y, float* __restrict s_k) {
  for (int64_t j = 0; j < width_out; ++j, p += 2, y += c, chosen += c) {
    for (int64_t v = 0; v < c16; v += kVectorFloats) {
      Floats a0 = {}, a1 = {}, a2 = {}, a3 = {};  // the window's four positions, row-major
      for (int64_t a = 0; a < kh; ++a) {
        const float* top = p + a * wp;
        const float* bottom = top + wp;
        for (int64_t b = 0; b < kw; ++b) {
          const Floats w = load_v(wt + (a * kw + b) * c16 + v);
          a0 += top[b] * w;
          a1 += top[b + 1] * w;
          a2 += bottom[b] * w;
          a3 += bottom[b + 1] * w;
        }
      }
      Floats m = stored_as(T{}, a0), k = {};
      take_over(stored_as(T{}, a1), 1.0f, m, k);
      take_over(stored_as(T{}, a2), 2.0f, m, k);
      take_over(stored_as(T{}, a3), 3.0f, m, k);
      store_v(s_y + v, m);
      store_v(s_k + v, k);
    }
    for (int64_t ch = 0; ch < c; ++ch) {
      store(y + ch, s_y[ch]);
      store(chosen + ch, s_k[ch]);
    }
  }
}

// One image's weight gradient, added to acc (kh * kw, c16): each pooled gradient value times the input under its
// window's chosen position, for every tap. p: the padded image; chosen, dy: (ho2, wo2, c); g: 4 * c16 floats of
// scratch whose channels from c on are 0.
template <typename T>
TINT_INLINE void weight_gradient_image(const float* p, int64_t wp, const T* chosen, const T* dy, int64_t ho2,
                                       int64_t wo2, int64_t kh, int64_t kw, int64_t c, int64_t c16,
                                       float* __restrict acc, float* __restrict g) {
  for (int64_t i = 0; i < ho2; ++i) {
    for (int64_t j = 0; j < wo2; ++j, chosen += c, dy += c) {
      for (int64_t ch = 0; ch < c; ++ch) {  // the gradient split by the position it goes to
        const float d = load(dy + ch), k = load(chosen + ch);
        g[ch] = k == 0.0f ? d : 0.0f;
        g[c16 + ch] = k == 1.0f ? d : 0.0f;
        g[2 * c16 + ch] = k == 2.0f ? d : 0.0f;
        g[3 * c16 + ch] = k == 3.0f ? d : 0.0f;
      }
      const float* window = p + 2 * i * wp + 2 * j;
      for (int64_t v = 0; v < c16; v += kVectorFloats) {
        const Floats g0 = load_v(g + v), g1 = load_v(g + c16 + v), g2 = load_v(g + 2 * c16 + v),
                     g3 = load_v(g + 3 * c16 + v);
        for (int64_t a = 0; a < kh; ++a) {
          const float* top = window + a * wp;
          const float* bottom = top + wp;
          for (int64_t b = 0; b < kw; ++b) {
            float* s = acc + (a * kw + b) * c16 + v;
            store_v(s, load_v(s) + top[b] * g0 + top[b + 1] * g1 + bottom[b] * g2 + bottom[b + 1] * g3);
          }
        }
      }
    }
  }
}

// One function per CPU variant for each loop and element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                                        \
  TINT_CPU_KERNEL(conv_pool_row_cpu, conv_pool_row,                                                                \
                  (const float* p, int64_t wp, const float* wt, int64_t kh, int64_t kw, int64_t c, int64_t c16,    \
                   int64_t width_out, T* y, T* chosen, float* s_y, float* s_k),                                    \
                  (p, wp, wt, kh, kw, c, c16, width_out, y, chosen, s_y, s_k))                                     \
  TINT_CPU_KERNEL(weight_gradient_image_cpu, weight_gradient_image,                                                \
                  (const float* p, int64_t wp, const T* chosen, const T* dy, int64_t ho2, int64_t wo2, int64_t kh, \
                   int64_t kw, int64_t c, int64_t c16, float* acc, float* g),                                      \
                  (p, wp, chosen, dy, ho2, wo2, kh, kw, c, c16, acc, g))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

// Channels are computed a vector (cpu::Floats) at a time; the weights are padded with zero channels to a whole number
// of vectors.
int64_t whole_vectors(int64_t c) { return (c + kVectorFloats - 1) / kVectorFloats * kVectorFloats; }

// x (N, 1, H, W) as (N, H + 2 ph, W + 2 pw) floats with the zero padding written out.
torch::Tensor padded_floats(const torch::Tensor& x, int64_t ph, int64_t pw) {
  return torch::constant_pad_nd(x.reshape({x.size(0), x.size(2), x.size(3)}).to(torch::kFloat), {pw, pw, ph, ph})
      .contiguous();
}

struct ConvMaxPool2x2Function : public torch::autograd::Function<ConvMaxPool2x2Function> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               std::vector<int64_t> padding, bool with_gradient) {
    RECORD_FUNCTION("tint::conv_max_pool2x2", std::vector<c10::IValue>());  // named in profiles (bench --profile)
    const int64_t n = x.size(0), c = weight.size(0), kh = weight.size(2), kw = weight.size(3);
    const auto p = padded_floats(x, padding[0], padding[1]);
    const int64_t hp = p.size(1), wp = p.size(2), ho2 = (hp - kh + 1) / 2, wo2 = (wp - kw + 1) / 2;
    const int64_t c16 = whole_vectors(c);
    // (kh * kw, c16): one tap's weights for every channel contiguous, the padding channels 0.
    const auto wt =
        torch::constant_pad_nd(weight.to(torch::kFloat).reshape({c, kh * kw}).t(), {0, c16 - c}).contiguous();
    auto y = torch::empty({n, c, ho2, wo2}, weight.options().memory_format(torch::MemoryFormat::ChannelsLast));
    auto chosen = with_gradient ? torch::empty_like(y) : torch::Tensor();
    visit_element_type(weight, [&](auto element) {
      using T = decltype(element);
      const float *pp = p.data_ptr<float>(), *pw = wt.data_ptr<float>();
      auto* py = y.data_ptr<T>();
      T* pk = with_gradient ? chosen.data_ptr<T>() : nullptr;
      at::parallel_for(0, n * ho2, kGrainRows, [&](int64_t begin, int64_t end) {
        std::vector<float> s_y(c16), s_k(c16);
        std::vector<T> scratch(pk == nullptr ? wo2 * c : 0);  // the choices, when no backward pass will read them
        for (int64_t r = begin; r < end; ++r) {  // pooled row r = (image, i) reads padded rows 2i .. 2i + kh
          const int64_t image = r / ho2, i = r % ho2, o = r * wo2 * c;
          conv_pool_row_cpu(pp + (image * hp + 2 * i) * wp, wp, pw, kh, kw, c, c16, wo2, py + o,
                            pk == nullptr ? scratch.data() : pk + o, s_y.data(), s_k.data());
        }
      });
    });
    ctx->save_for_backward({with_gradient ? p : torch::empty({0}), with_gradient ? chosen : torch::empty({0})});
    ctx->saved_data["weight_shape"] = weight.sizes();
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    check_first_order("conv_max_pool2x2");
    const auto saved = ctx->get_saved_variables();
    const auto &p = saved[0], &chosen = saved[1];
    const auto shape = ctx->saved_data["weight_shape"].toIntVector();
    const int64_t c = shape[0], kh = shape[2], kw = shape[3], c16 = whole_vectors(c);
    const auto dy = as_channels_last(grad_outputs[0], chosen.scalar_type());
    const int64_t n = dy.size(0), ho2 = dy.size(2), wo2 = dy.size(3), hp = p.size(1), wp = p.size(2);
    // One partial sum per image, added up in image order below: the same result for any thread count.
    auto partial = torch::zeros({n, kh * kw, c16}, torch::kFloat);
    visit_element_type(chosen, [&](auto element) {
      using T = decltype(element);
      const float* pp = p.data_ptr<float>();
      const auto *pk = chosen.data_ptr<T>(), *pdy = dy.data_ptr<T>();
      float* pacc = partial.data_ptr<float>();
      at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
        std::vector<float> g(4 * c16, 0.0f);
        for (int64_t image = begin; image < end; ++image) {
          const int64_t o = image * ho2 * wo2 * c;
          weight_gradient_image_cpu(pp + image * hp * wp, wp, pk + o, pdy + o, ho2, wo2, kh, kw, c, c16,
                                    pacc + image * kh * kw * c16, g.data());
        }
      });
    });
    const auto dw = partial.to(torch::kDouble).sum(0).slice(1, 0, c).t().reshape(shape).to(chosen.scalar_type());
    return {torch::Tensor(), dw, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor conv_max_pool2x2(const torch::Tensor& input, const torch::Tensor& w, torch::IntArrayRef padding) {
  // Under autocast the arguments are cast as conv2d's would be (autocast.h).
  const auto x = autocast_argument(input), weight = autocast_argument(w);
  TORCH_CHECK(x.dim() == 4 && weight.dim() == 4 && padding.size() == 2,
              "conv_max_pool2x2: expects x (N, C, H, W), weight (C_out, C, kH, kW) and two paddings, got ", x.sizes(),
              " ", weight.sizes(), " ", padding);
  const bool type_ok = (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16) &&
                       weight.scalar_type() == x.scalar_type();
  const int64_t ho = x.size(2) + 2 * padding[0] - weight.size(2) + 1,
                wo = x.size(3) + 2 * padding[1] - weight.size(3) + 1;
  const bool fusable = type_ok && x.device().is_cpu() && weight.device().is_cpu() && x.size(1) == 1 &&
                       weight.size(1) == 1 && x.numel() > 0 && weight.numel() > 0 && padding[0] >= 0 &&
                       padding[1] >= 0 && ho > 0 && wo > 0 && ho % 2 == 0 && wo % 2 == 0 && !x.requires_grad() &&
                       x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast;
  if (!fusable) return max_pool2x2(torch::conv2d(x, weight, {}, 1, padding));
  // Function::forward runs without grad mode, so whether a backward pass will come is decided here.
  const bool with_gradient = torch::GradMode::is_enabled() && weight.requires_grad();
  return ConvMaxPool2x2Function::apply(x, weight, padding.vec(), with_gradient);
}

}  // namespace tint::ops
