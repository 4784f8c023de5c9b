#include "tint/ops/resample.h"

#include <algorithm>
#include <cstdint>
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

// The kernels walk channels-last image rows: row (n, h) of an (N, C, H, W) tensor is W pixels of C channels,
// contiguous, kGrainRows (cpu_loops.h) to a task.

// LibTorch's choice within a window scanned in row-major order: a later value wins if larger or NaN.
TINT_INLINE bool takes_over(float v, float m) { return v > m || v != v; }

// One output row of the pooling: top and bottom are the two input rows of its windows, width_out windows of c.
// Each choice (0-3, row-major in the window) is kept for the backward pass, which then reads a quarter of what the
// input would be and leaves it free to be released. The choices are stored in the data's own type: in bytes, g++
// would vectorize 64 channels at a time and leave a layer of 32 to scalar code.
template <typename T>
TINT_INLINE void pool_row(const T* top, const T* bottom, T* __restrict y, T* __restrict chosen, int64_t width_out,
                          int64_t c) {
  for (int64_t w = 0; w < width_out; ++w, top += 2 * c, bottom += 2 * c, y += c, chosen += c) {
    for (int64_t j = 0; j < c; ++j) {
      float m = load(top + j), k = 0.0f;  // a float index, so that the selects stay one vector width
      const float v1 = load(top + c + j), v2 = load(bottom + j), v3 = load(bottom + c + j);
      if (takes_over(v1, m)) m = v1, k = 1.0f;
      if (takes_over(v2, m)) m = v2, k = 2.0f;
      if (takes_over(v3, m)) m = v3, k = 3.0f;
      store(y + j, m);
      store(chosen + j, k);
    }
  }
}

// The gradient of one output row: dy goes to each window's chosen value, 0 to the other three.
template <typename T>
TINT_INLINE void pool_row_gradient(const T* chosen, const T* dy, T* __restrict dtop, T* __restrict dbottom,
                                   int64_t width_out, int64_t c) {
  for (int64_t w = 0; w < width_out; ++w, chosen += c, dy += c, dtop += 2 * c, dbottom += 2 * c) {
    for (int64_t j = 0; j < c; ++j) {
      const float g = load(dy + j), k = load(chosen + j);
      store(dtop + j, k == 0.0f ? g : 0.0f);
      store(dtop + c + j, k == 1.0f ? g : 0.0f);
      store(dbottom + j, k == 2.0f ? g : 0.0f);
      store(dbottom + c + j, k == 3.0f ? g : 0.0f);
    }
  }
}

// The gradient of one input row of the upsampling: each pixel sums its 2x2 square of dy, in LibTorch's order.
template <typename T>
TINT_INLINE void upsample_row_gradient(const T* top, const T* bottom, T* __restrict dx, int64_t width, int64_t c) {
  for (int64_t w = 0; w < width; ++w, top += 2 * c, bottom += 2 * c, dx += c) {
    for (int64_t j = 0; j < c; ++j) {
      store(dx + j, ((load(top + j) + load(top + c + j)) + load(bottom + j)) + load(bottom + c + j));
    }
  }
}

// One function per CPU variant for each loop and element type (see cpu_loops.h).
#define TINT_INSTANTIATE(T)                                                                          \
  TINT_CPU_KERNEL(pool_row_cpu, pool_row,                                                            \
                  (const T* top, const T* bottom, T* y, T* chosen, int64_t width_out, int64_t c),    \
                  (top, bottom, y, chosen, width_out, c))                                            \
  TINT_CPU_KERNEL(pool_row_gradient_cpu, pool_row_gradient,                                          \
                  (const T* chosen, const T* dy, T* dtop, T* dbottom, int64_t width_out, int64_t c), \
                  (chosen, dy, dtop, dbottom, width_out, c))                                         \
  TINT_CPU_KERNEL(upsample_row_gradient_cpu, upsample_row_gradient,                                  \
                  (const T* top, const T* bottom, T* dx, int64_t width, int64_t c), (top, bottom, dx, width, c))
TINT_INSTANTIATE(float)
TINT_INSTANTIATE(c10::BFloat16)
#undef TINT_INSTANTIATE

bool fusable(const torch::Tensor& x) {
  return x.dim() == 4 && x.device().is_cpu() && x.numel() > 0 &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16) &&
         x.is_contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor empty_channels_last(const torch::Tensor& like, int64_t height, int64_t width) {
  return torch::empty({like.size(0), like.size(1), height, width},
                      like.options().memory_format(torch::MemoryFormat::ChannelsLast));
}

struct MaxPool2x2Function : public torch::autograd::Function<MaxPool2x2Function> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, bool with_gradient) {
    RECORD_FUNCTION("tint::max_pool2x2", std::vector<c10::IValue>());  // named in profiles (bench --profile)
    const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
    auto y = empty_channels_last(x, h / 2, w / 2);
    // Without a backward pass to come, the choices go to a scratch row per task instead.
    auto chosen = with_gradient ? torch::empty_like(y) : torch::Tensor();
    visit_element_type(x, [&](auto element) {
      using T = decltype(element);
      const auto* px = x.data_ptr<T>();
      auto* py = y.data_ptr<T>();
      T* pk = with_gradient ? chosen.data_ptr<T>() : nullptr;
      at::parallel_for(0, x.size(0) * (h / 2), kGrainRows, [&](int64_t begin, int64_t end) {
        std::vector<T> scratch(pk == nullptr ? (w / 2) * c : 0);
        for (int64_t r = begin; r < end; ++r) {  // output row r reads input rows 2r and 2r + 1
          const T* top = px + 2 * r * w * c;
          const int64_t o = r * (w / 2) * c;
          pool_row_cpu(top, top + w * c, py + o, pk == nullptr ? scratch.data() : pk + o, w / 2, c);
        }
      });
    });
    ctx->save_for_backward({with_gradient ? chosen : torch::empty({0})});
    ctx->saved_data["shape"] = x.sizes();
    ctx->saved_data["type"] = static_cast<int64_t>(x.scalar_type());
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    check_first_order("max_pool2x2");
    const auto chosen = ctx->get_saved_variables()[0];
    const auto shape = ctx->saved_data["shape"].toIntVector();
    const auto type = static_cast<torch::ScalarType>(ctx->saved_data["type"].toInt());
    const auto dy = as_channels_last(grad_outputs[0], type);
    const int64_t c = shape[1], h = shape[2], w = shape[3];
    auto dx = torch::empty(shape, dy.options().memory_format(torch::MemoryFormat::ChannelsLast));
    visit_element_type(dx, [&](auto element) {
      using T = decltype(element);
      const auto* pk = chosen.data_ptr<T>();
      const auto* pdy = dy.data_ptr<T>();
      auto* pdx = dx.data_ptr<T>();
      at::parallel_for(0, shape[0] * (h / 2), kGrainRows, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const int64_t i = r * (w / 2) * c, o = 2 * r * w * c;
          pool_row_gradient_cpu(pk + i, pdy + i, pdx + o, pdx + o + w * c, w / 2, c);
        }
      });
    });
    return {dx, torch::Tensor()};
  }
};

struct UpsampleNearest2xFunction : public torch::autograd::Function<UpsampleNearest2xFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x) {
    RECORD_FUNCTION("tint::upsample_nearest2x", std::vector<c10::IValue>());
    const int64_t c = x.size(1), h = x.size(2), w = x.size(3);
    auto y = empty_channels_last(x, 2 * h, 2 * w);
    visit_element_type(x, [&](auto element) {
      using T = decltype(element);
      const auto* px = x.data_ptr<T>();
      auto* py = y.data_ptr<T>();
      at::parallel_for(0, x.size(0) * h, kGrainRows, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {  // input row r fills output rows 2r and 2r + 1
          T* top = py + 2 * r * (2 * w) * c;
          for (int64_t i = 0; i < w; ++i) {
            const T* pixel = px + (r * w + i) * c;
            std::copy(pixel, pixel + c, top + 2 * i * c);
            std::copy(pixel, pixel + c, top + (2 * i + 1) * c);
          }
          std::copy(top, top + 2 * w * c, top + 2 * w * c);
        }
      });
    });
    ctx->saved_data["type"] = static_cast<int64_t>(x.scalar_type());
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    check_first_order("upsample_nearest2x");
    const auto type = static_cast<torch::ScalarType>(ctx->saved_data["type"].toInt());
    const auto dy = as_channels_last(grad_outputs[0], type);
    const int64_t c = dy.size(1), h = dy.size(2) / 2, w = dy.size(3) / 2;
    auto dx = empty_channels_last(dy, h, w);
    visit_element_type(dy, [&](auto element) {
      using T = decltype(element);
      const auto* pdy = dy.data_ptr<T>();
      auto* pdx = dx.data_ptr<T>();
      at::parallel_for(0, dy.size(0) * h, kGrainRows, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const T* top = pdy + 2 * r * (2 * w) * c;
          upsample_row_gradient_cpu(top, top + 2 * w * c, pdx + r * w * c, w, c);
        }
      });
    });
    return {dx};
  }
};

}  // namespace

torch::Tensor max_pool2x2(const torch::Tensor& x) {
  if (!fusable(x) || x.size(2) % 2 != 0 || x.size(3) % 2 != 0) return torch::max_pool2d(x, 2);
  // Function::forward runs without grad mode, so whether a backward pass will come is decided here.
  return MaxPool2x2Function::apply(x, torch::GradMode::is_enabled() && x.requires_grad());
}

torch::Tensor upsample_nearest2x(const torch::Tensor& x) {
  if (!fusable(x)) return torch::upsample_nearest2d(x, std::vector<int64_t>{2 * x.size(2), 2 * x.size(3)});
  return UpsampleNearest2xFunction::apply(x);
}

}  // namespace tint::ops
