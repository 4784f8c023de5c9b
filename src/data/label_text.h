// Strict text-to-number conversions and line positions shared by the detection label readers (yolo_labels.cpp,
// voc_xml.cpp, detection_dataset.cpp). Private to the data layer. std::from_chars: locale-independent, no leading
// spaces or '+', the whole token must be the number.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string_view>

namespace tint::data::label_text {

inline std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// True when `s` is exactly a decimal integer that fits an int.
inline bool parse_int(std::string_view s, int& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return !s.empty() && ec == std::errc() && p == end;
}

// True when `s` is exactly a real number (fixed or scientific; "nan" and "inf" parse, callers check finiteness).
inline bool parse_real(std::string_view s, double& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return !s.empty() && ec == std::errc() && p == end;
}

// Calls `f(line_number, line)` for each line of `text` (split at '\n'; a trailing '\r' stays, for trim).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  int number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    f(++number, text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// The 1-based line of byte `offset` in `text`.
inline int line_of(std::string_view text, std::ptrdiff_t offset) {
  if (offset < 0) return 0;
  const auto n = std::min<std::size_t>(static_cast<std::size_t>(offset), text.size());
  int line = 1;
  for (std::size_t i = 0; i < n; ++i) line += text[i] == '\n';
  return line;
}

}  // namespace tint::data::label_text
