#include "tint/core/runtime.h"

#include <thread>

#include <torch/torch.h>

namespace tint {

int core_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int configure_threads(int threads) {
  const int n = threads > 0 ? threads : core_count();
  torch::set_num_threads(n);
  return torch::get_num_threads();
}

const char* version() { return TINT_VERSION; }

}  // namespace tint
