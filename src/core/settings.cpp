#include "tint/core/settings.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <fmt/core.h>

namespace tint::settings_detail {

std::string format_integer(int64_t v) { return std::to_string(v); }

std::string format_real(double v) { return fmt::format("{}", v); }

std::string format_real(float v) { return fmt::format("{}", v); }

int64_t parse_integer(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  errno = 0;
  const long long v = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE)
    throw Error(fmt::format("{}: '{}' is not an integer", flag, text));
  return v;
}

uint64_t parse_unsigned(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  errno = 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  const unsigned long long v = digits ? std::strtoull(text.c_str(), &end, 10) : 0;
  if (!digits || errno == ERANGE)
    throw Error(fmt::format("{}: '{}' is not an integer in 0..{}", flag, text, UINT64_MAX));
  return v;
}

double parse_real(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw Error(fmt::format("{}: '{}' is not a finite number", flag, text));
  return v;
}

float parse_float(const std::string& text, const std::string& flag) {
  parse_real(text, flag);  // all of it a finite number, or the same message
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (!std::isfinite(v)) throw Error(fmt::format("{}: '{}' is not a finite number", flag, text));
  return v;
}

namespace {
[[noreturn]] void wrong_type(const nlohmann::json& v, const std::string& key, const char* expected) {
  throw Error(fmt::format("'{}' has the wrong type (expected {}, got {})", key, expected, v.type_name()));
}
}  // namespace

int64_t json_integer(const nlohmann::json& v, const std::string& key, int64_t lo, int64_t hi) {
  if (!v.is_number()) wrong_type(v, key, "number");
  bool fits = false;
  int64_t x = 0;
  if (v.is_number_unsigned()) {
    fits = v.get<uint64_t>() <= static_cast<uint64_t>(hi);
    if (fits) x = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
    fits = x >= lo && x <= hi;
  }
  // A float, or an integer past the field's type: get<T>() would truncate (undefined behaviour for a float out of
  // range; found by fuzz/fuzz_config_json.cpp with "num_filters": 2.2e81).
  if (!fits) throw Error(fmt::format("'{}' must be an integer in {}..{}, got {}", key, lo, hi, v.dump()));
  return x;
}

uint64_t json_unsigned(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number()) wrong_type(v, key, "number");
  if (!v.is_number_unsigned())
    throw Error(fmt::format("'{}' must be an integer in 0..{}, got {}", key, UINT64_MAX, v.dump()));
  return v.get<uint64_t>();
}

double json_real(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number()) wrong_type(v, key, "number");
  return v.get<double>();
}

std::string json_string(const nlohmann::json& v, const std::string& key) {
  if (!v.is_string()) wrong_type(v, key, "string");
  return v.get<std::string>();
}

bool json_bool(const nlohmann::json& v, const std::string& key) {
  if (!v.is_boolean()) wrong_type(v, key, "boolean");
  return v.get<bool>();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

}  // namespace tint::settings_detail
