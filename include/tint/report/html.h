// Building blocks of self-contained HTML pages: escaping text for HTML, base64 (RFC 4648) and data: URIs, so that
// a page carries its images inside itself and needs no other file, no network and no JavaScript.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tint::report {

// Standard base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '=' padding, no line breaks).
std::string base64_encode(std::string_view bytes);

// An image held in memory, ready to inline.
struct InlineImage {
  std::string mime;  // "image/png" or "image/jpeg"
  std::string bytes;
  int width = 0;  // from the PNG header; 0 when unknown (JPEG)
  int height = 0;
};

// Reads a PNG or JPEG file and checks its signature. Throws tint::Error naming the file when it is missing,
// unreadable, or neither format (e.g. a truncated or corrupt PNG header).
InlineImage read_inline_image(const std::filesystem::path& file);

// "data:<mime>;base64,<bytes>".
std::string data_uri(const InlineImage& image);

}  // namespace tint::report
