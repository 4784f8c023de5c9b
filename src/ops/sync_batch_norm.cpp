#include "tint/ops/sync_batch_norm.h"

#include <torch/torch.h>

namespace tint::ops {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct SyncBatchNormRelu : torch::autograd::Function<SyncBatchNormRelu> {
  // Returns the output in x's type.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& input_bias, torch::Tensor running_mean,
                               torch::Tensor running_var, double momentum, double eps, int64_t repeats,
                               const SumAcrossWorkers* sum) {
    const int64_t channels = x.size(1);
    const auto xf =
        input_bias.defined() ? x.to(torch::kFloat32) + input_bias.view({1, -1, 1, 1}) : x.to(torch::kFloat32);
    const std::vector<int64_t> dims{0, 2, 3};
    // Sums in double: E[x^2] - E[x]^2 cancels, and the workers' partial sums must add up without loss.
    auto stats = torch::cat(
        {xf.sum(dims, false, torch::kFloat64), xf.square().sum(dims, false, torch::kFloat64),
         torch::full({1}, static_cast<double>(xf.numel() / std::max<int64_t>(channels, 1)), torch::kFloat64)});
    (*sum)(stats);
    const double count = stats[2 * channels].item<double>();
    TORCH_CHECK(count > 0, "sync batchnorm: no values in the global batch");
    const auto mean = stats.slice(0, 0, channels) / count;
    const auto var = (stats.slice(0, channels, 2 * channels) / count - mean.square()).clamp_min(0.0);
    const auto invstd = (var + eps).rsqrt();
    {
      torch::NoGradGuard no_grad;
      const double values = count * static_cast<double>(repeats);
      running_mean.mul_(1.0 - momentum).add_(mean.to(torch::kFloat32), momentum);
      running_var.mul_(1.0 - momentum)
          .add_((var * (values / std::max(values - 1.0, 1.0))).to(torch::kFloat32), momentum);
    }
    const auto shape = std::vector<int64_t>{1, channels, 1, 1};
    const auto xhat = (xf - mean.to(torch::kFloat32).view(shape)) * invstd.to(torch::kFloat32).view(shape);
    const auto y = torch::relu(xhat * weight.view(shape) + bias.view(shape));
    ctx->save_for_backward({xhat, y, weight, invstd.to(torch::kFloat32)});
    ctx->saved_data["count"] = count;
    ctx->saved_data["input_bias"] = input_bias.defined();
    ctx->saved_data["sum"] = reinterpret_cast<int64_t>(sum);
    return y.to(x.scalar_type());
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &xhat = saved[0], &y = saved[1], &weight = saved[2], &invstd = saved[3];
    const double count = ctx->saved_data["count"].toDouble();
    const auto* sum = reinterpret_cast<const SumAcrossWorkers*>(ctx->saved_data["sum"].toInt());
    const int64_t channels = xhat.size(1);
    const std::vector<int64_t> dims{0, 2, 3};
    const auto g = grad_outputs[0].to(torch::kFloat32) * y.gt(0);
    const auto grad_bias = g.sum(dims, false, torch::kFloat64);
    const auto grad_weight = (g * xhat).sum(dims, false, torch::kFloat64);
    auto global = torch::cat({grad_bias, grad_weight});
    (*sum)(global);
    const auto shape = std::vector<int64_t>{1, channels, 1, 1};
    const auto mean_g = (global.slice(0, 0, channels) / count).to(torch::kFloat32).view(shape);
    const auto mean_gx = (global.slice(0, channels, 2 * channels) / count).to(torch::kFloat32).view(shape);
    auto grad_x = (g - mean_g - xhat * mean_gx) * (weight * invstd).view(shape);
    // The normalization removes a per-channel shift exactly, so the input bias's gradient is exactly 0 (as in the
    // fused batch_norm_relu). Computed through x + bias it would be rounding noise, which Adam, dividing by its own
    // running size, would turn into steps of the full learning rate.
    const auto grad_input_bias =
        ctx->saved_data["input_bias"].toBool() ? torch::zeros({channels}, torch::kFloat32) : torch::Tensor();
    return {grad_x.to(grad_outputs[0].scalar_type()),
            grad_weight.to(torch::kFloat32),
            grad_bias.to(torch::kFloat32),
            grad_input_bias,
            {},
            {},
            {},
            {},
            {},
            {}};
  }
};

}  // namespace

torch::Tensor sync_batch_norm_relu(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                   const torch::Tensor& running_mean, const torch::Tensor& running_var, double momentum,
                                   double eps, const torch::Tensor& input_bias, int64_t repeats,
                                   const SumAcrossWorkers& sum) {
  TORCH_CHECK(x.dim() == 4, "sync batchnorm expects (N, C, H, W), got ", x.sizes());
  TORCH_CHECK(weight.defined() && bias.defined(), "sync batchnorm needs affine parameters");
  return SyncBatchNormRelu::apply(x, weight, bias, input_bias, running_mean, running_var, momentum, eps, repeats, &sum);
}

}  // namespace tint::ops
