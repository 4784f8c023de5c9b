// libFuzzer harness: arbitrary bytes as an image file, through tint::data::decode_image (what read_image does after
// reading the file). Undecodable input must end in tint::Error; a decoded image must be (1 or 3, H, W) uint8.
#include <cstddef>
#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto image = tint::data::decode_image(bytes, "fuzz.img");
    if (image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3) || image.size(1) < 1 || image.size(2) < 1 ||
        image.scalar_type() != torch::kUInt8) {
      __builtin_trap();
    }
  } catch (const tint::Error&) {
  }
  return 0;
}
