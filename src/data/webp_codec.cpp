// WebP through libwebp (Android phones and the web save photos as WebP). Decoding only; alpha is composited onto
// white, as for PNG.
#include <fmt/core.h>
#include <torch/torch.h>
#include <webp/decode.h>

#include "codecs.h"
#include "tint/core/error.h"

namespace tint::data::codecs {

Decoded decode_webp(std::string_view bytes, const std::string& name, int64_t max_pixels) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, bytes.size(), &features) != VP8_STATUS_OK) {
    throw Error(fmt::format("{}: cannot decode WebP: not a valid WebP header", name));
  }
  if (features.has_animation) throw Error(fmt::format("{}: animated WebP is not supported", name));
  check_pixel_count(features.width, features.height, max_pixels, name);
  const int64_t h = features.height, w = features.width, c = features.has_alpha ? 4 : 3;
  auto hwc = torch::empty({h, w, c}, torch::kUInt8);
  const auto* ok = features.has_alpha
                       ? WebPDecodeRGBAInto(data, bytes.size(), hwc.data_ptr<uint8_t>(), size_t(h * w * c), int(w * c))
                       : WebPDecodeRGBInto(data, bytes.size(), hwc.data_ptr<uint8_t>(), size_t(h * w * c), int(w * c));
  if (ok == nullptr) throw Error(fmt::format("{}: cannot decode WebP: corrupt image data", name));
  if (c == 4) hwc = composite_on_white(hwc);
  return {hwc.permute({2, 0, 1}).contiguous(), 1};
}

}  // namespace tint::data::codecs
