// libFuzzer harness: arbitrary bytes as one CIFAR-10 binary file, through tint::data::parse_cifar10 (the decoder of
// read_cifar10_file). Malformed input must end in tint::Error naming the file; accepted input must decode to whole
// records with labels 0..9.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/cifar10.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tint::data;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    Cifar10 c = parse_cifar10(bytes, "fuzz.bin");
    const int64_t n = c.size();
    if (n * kRecordBytes != static_cast<int64_t>(size) || c.images.sizes() != torch::IntArrayRef{n, 3, 32, 32}) {
      __builtin_trap();
    }
    if (n > 0 && (c.labels.min().item<int64_t>() < 0 || c.labels.max().item<int64_t>() >= kNumClasses)) {
      __builtin_trap();
    }
  } catch (const tint::Error&) {
    // The expected outcome for malformed input.
  }
  return 0;
}
