#include "tint/report/html.h"

#include <array>

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::report {

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;  // 0, 1 or 2 bytes left: 2 or 3 characters and '=' padding
  if (rest > 0) {
    uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

InlineImage read_inline_image(const std::filesystem::path& file) {
  InlineImage image;
  image.bytes = read_file(file);
  const std::string_view b = image.bytes;
  static constexpr std::string_view kPng("\x89PNG\r\n\x1a\n", 8);
  if (b.size() >= 24 && b.substr(0, 8) == kPng && b.substr(12, 4) == "IHDR") {
    auto be32 = [&](size_t k) {
      uint32_t v = 0;
      for (size_t j = 0; j < 4; ++j) v = (v << 8) | static_cast<unsigned char>(b[k + j]);
      return v;
    };
    image.mime = "image/png";
    image.width = static_cast<int>(be32(16));
    image.height = static_cast<int>(be32(20));
    if (image.width <= 0 || image.height <= 0) throw Error(fmt::format("{}: corrupt PNG header", file.string()));
  } else if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
             static_cast<unsigned char>(b[2]) == 0xFF) {
    image.mime = "image/jpeg";
  } else {
    throw Error(fmt::format("{}: not a PNG or JPEG image", file.string()));
  }
  return image;
}

std::string data_uri(const InlineImage& image) {
  return "data:" + image.mime + ";base64," + base64_encode(image.bytes);
}

}  // namespace tint::report
