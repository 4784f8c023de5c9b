#include "tint/train/precision.h"

#include <ATen/autocast_mode.h>

namespace tint::train {

PrecisionScope::PrecisionScope(const std::string& precision) : active_(precision == "bf16") {
  if (!active_) return;
  previous_ = at::autocast::is_cpu_enabled();
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
}

PrecisionScope::~PrecisionScope() {
  if (!active_) return;
  at::autocast::set_cpu_enabled(previous_);
  at::autocast::clear_cache();
}

}  // namespace tint::train
