// Building blocks shared by the colourization networks.
#pragma once

#include <torch/nn.h>
#include <torch/nn/modules/container/sequential.h>

#include "tint/ops/conv_transpose.h"
#include "tint/ops/sync_batch_norm.h"

namespace tint::models {

// A stride-1 convolution whose output has its input's height and width for any kernel, odd or even
// (an even kernel needs one more row/column of zeros after than before, which Conv2d's symmetric padding cannot do).
class SameConv2dImpl : public torch::nn::Module {
 public:
  SameConv2dImpl(int in_channels, int out_channels, int kernel);
  torch::Tensor forward(const torch::Tensor& x);  // (N, C_in, H, W) -> (N, C_out, H, W)
  // x with the rows and columns of zeros that conv's own (symmetric) padding cannot add; x itself for odd kernels.
  torch::Tensor padded(const torch::Tensor& x) const;
  torch::nn::Conv2d conv{nullptr};

 private:
  int before_, after_;
};
TORCH_MODULE(SameConv2d);

// The networks' blocks: a Sequential whose BatchNorm2d directly followed by a ReLU runs as one fused operation
// (ops::batch_norm_relu) with the BatchNorm2d's parameters, running statistics and momentum, taking in the bias of
// a Conv2d, SameConv2d or FastConvTranspose2d right before it, also across a 2x2 MaxPool2d or a 2x nearest Upsample
// in between (batchnorm and ReLU go before the upsampling, which they commute with). Every other 2x2 MaxPool2d and
// 2x nearest Upsample runs through ops/resample.h, except that a single-channel convolution followed by a 2x2
// MaxPool2d, on an NHWC input that needs no gradient (the greyscale input), runs as ops::conv_max_pool2x2. The
// modules, their names and so checkpoints and the analysis tools are those of the plain torch::nn::Sequential; the
// results are its results to rounding. (With the bias folded through a max-pooling, a window whose values round to
// a tie once the bias is added sends its gradient to the larger of them rather than to the first: a rounding-level
// difference, in bfloat16 mostly.)
class BlockImpl : public torch::nn::SequentialImpl {
 public:
  using torch::nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x);
  // Set for data-parallel training with synchronised batchnorm (see set_sync_batch_norm).
  ops::SumAcrossWorkers sync_batch_norm;
};
TORCH_MODULE(Block);

// Makes every Block of `model` normalize with the batch statistics of all workers when training (ops/sync_batch_norm.h),
// summed by `sum`; an empty function goes back to each process's own batch.
void set_sync_batch_norm(torch::nn::Module& model, const ops::SumAcrossWorkers& sum);

// Conv2d with stride 2 that halves an even height and width.
torch::nn::Conv2d halving_conv(int in_channels, int out_channels, int kernel);

// ConvTranspose2d with stride 2 that doubles height and width (computed through oneDNN, see ops/conv_transpose.h).
ops::FastConvTranspose2d doubling_conv_transpose(int in_channels, int out_channels, int kernel, int dilation);

}  // namespace tint::models
