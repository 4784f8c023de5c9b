#include "tint/ops/conv_transpose.h"

#include <torch/torch.h>

#include "autocast.h"

namespace tint::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

std::vector<int64_t> output_sizes(const torch::Tensor& x, const torch::Tensor& w, torch::IntArrayRef stride,
                                  torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                                  torch::IntArrayRef dilation) {
  std::vector<int64_t> sizes{x.size(0), w.size(1)};
  for (int d = 0; d < 2; ++d) {
    sizes.push_back((x.size(d + 2) - 1) * stride[d] - 2 * padding[d] + dilation[d] * (w.size(d + 2) - 1) +
                    output_padding[d] + 1);
  }
  return sizes;
}

struct ConvTranspose2dFunction : public torch::autograd::Function<ConvTranspose2dFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               std::vector<int64_t> stride, std::vector<int64_t> padding,
                               std::vector<int64_t> output_padding, std::vector<int64_t> dilation) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    // The transposed convolution of x is the input-gradient of conv2d(y, w) where conv2d(y, w) has x's shape;
    // y itself is never read, only its shape, so an uninitialized tensor stands in for it.
    auto y_shape = torch::empty(output_sizes(x, w, stride, padding, output_padding, dilation),
                                x.options().memory_format(x.suggest_memory_format()));
    return std::get<0>(at::convolution_backward(x, y_shape, w, c10::nullopt, stride, padding, dilation,
                                                /*transposed=*/false, /*output_padding=*/{0, 0}, /*groups=*/1,
                                                {true, false, false}));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    auto g = grad_outputs[0];  // (N, C_out, H_out, W_out)
    const auto stride = ctx->saved_data["stride"].toIntVector();
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    // <T(x, w), g> = <x, conv2d(g, w)>: so dx = conv2d(g, w), and dw is the weight-gradient of conv2d(g, w)
    // against the output-gradient x. Both are oneDNN convolutions.
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) {
      dx = at::convolution(g, w, {}, stride, padding, dilation, false, {0, 0}, 1);
    }
    if (ctx->needs_input_grad(1)) {
      dw = std::get<1>(at::convolution_backward(x, g, w, c10::nullopt, stride, padding, dilation, false, {0, 0}, 1,
                                                {false, true, false}));
    }
    return {dx, dw, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor conv_transpose2d_impl(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                    torch::IntArrayRef stride, torch::IntArrayRef padding,
                                    torch::IntArrayRef output_padding, torch::IntArrayRef dilation) {
  // The bias stays outside the custom function (LibTorch 1.13's custom functions cannot take an undefined tensor).
  auto out =
      ConvTranspose2dFunction::apply(x, weight, stride.vec(), padding.vec(), output_padding.vec(), dilation.vec());
  return bias.defined() ? out + bias.view({1, -1, 1, 1}) : out;
}

}  // namespace

torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::IntArrayRef stride, torch::IntArrayRef padding, torch::IntArrayRef output_padding,
                               torch::IntArrayRef dilation) {
  TORCH_CHECK(x.dim() == 4 && weight.dim() == 4 && x.size(1) == weight.size(0),
              "conv_transpose2d: x (N, C_in, H, W) and weight (C_in, C_out, kH, kW) do not match: ", x.sizes(), " ",
              weight.sizes());
  if (!x.is_cpu()) {
    return torch::conv_transpose2d(x, weight, bias, stride, padding, output_padding, 1, dilation);
  }
  // Under autocast the arguments are cast as conv_transpose2d's would be (autocast.h).
  return conv_transpose2d_impl(autocast_argument(x), autocast_argument(weight), autocast_argument(bias), stride,
                               padding, output_padding, dilation);
}

torch::Tensor FastConvTranspose2dImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(options.groups() == 1, "FastConvTranspose2d supports groups 1 only");
  const auto& o = options;
  return conv_transpose2d(input, weight, bias, o.stride(), c10::get<torch::ExpandingArray<2>>(o.padding()),
                          o.output_padding(), o.dilation());
}

}  // namespace tint::ops
