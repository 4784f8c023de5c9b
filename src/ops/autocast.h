// How tint's operators take part in CPU autocast. Private to src/ops.
//
// LibTorch's autocast casts the arguments of the operators on its lists; tint's operators are not on them, so they
// cast their own arguments the same way (at::autocast's is_eligible in LibTorch 1.13): a defined floating-point CPU
// tensor other than float64 goes to the autocast type while CPU autocast is on; anything else is left alone.
#pragma once

#include <ATen/autocast_mode.h>
#include <ATen/core/Tensor.h>

namespace tint::ops {

inline at::Tensor autocast_argument(const at::Tensor& t) {
  if (!at::autocast::is_cpu_enabled() || !t.defined() || !t.is_cpu() || !t.is_floating_point() ||
      t.scalar_type() == at::kDouble) {
    return t;
  }
  return t.to(at::autocast::get_autocast_cpu_dtype());
}

}  // namespace tint::ops
