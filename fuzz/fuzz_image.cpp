// libFuzzer harness: arbitrary bytes as an image file, through tint::data::decode_image (what read_image does after
// reading the file). Undecodable input must end in tint::Error; a decoded image must be (1 or 3, H, W) uint8, and
// must come back unchanged through tint's PNG writer and reader.
// The decoders are Debian's libjpeg-turbo, libpng, libwebp and libexif (fuzzed upstream by OSS-Fuzz); what this
// harness instruments and explores is tint's side: the signature dispatch, the size checks before allocation, the
// setjmp error paths, EXIF orientation and the writers.
#include <cstddef>
#include <cstdint>
#include <string>

#include <torch/torch.h>

#include "tint/core/error.h"
#include "tint/data/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // A smaller pixel limit than the default: a header may declare any size, and the refusal path is what matters.
  tint::data::ReadOptions options;
  options.max_pixels = int64_t{1} << 20;
  try {
    auto image = tint::data::decode_image(bytes, "fuzz.img", options);
    if (image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3) || image.size(1) < 1 || image.size(2) < 1 ||
        image.scalar_type() != torch::kUInt8) {
      __builtin_trap();
    }
    if (!tint::data::decode_image(tint::data::encode_png(image), "again.png", options).equal(image)) __builtin_trap();
  } catch (const tint::Error&) {}
  return 0;
}
