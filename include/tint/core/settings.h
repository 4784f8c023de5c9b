// A settings table: one row per setting of a config struct, holding everything tint knows about it — its CLI flag,
// its config.json key, its type and range (or choices), its help text and whether a sweep may vary it. The CLI
// flags (apps/tint/settings_flags.h), config.json reading and writing, validation and sweeps all read the table, so
// a setting is declared once and every path checks it with the same range and the same message.
//
// Rows are made with the builders below (integer, real, choice, enumeration, text, optional_text, path, boolean,
// switch_flag) from an accessor
// that returns the field; lift() reuses a table of an inner struct (models::ModelConfig inside train::TrainConfig).
// A row may apply to some configs only (a training setting of one kind of colour target): its `refuse_use` says
// why not, and check_applicable() is the one check of every such row, for flags given and for values in use.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tint/core/error.h"

namespace tint {

template <class Config>
struct Setting {
  std::string flag;  // CLI name without dashes, kebab-case: "batch-size"
  std::string key;   // config.json key, snake_case: "batch_size"
  std::string help;
  std::string range;  // what a valid value looks like, for help and messages: "1..1048576", "fp32|bf16"
  bool sweepable = false;
  bool on_cli = true;         // false: recorded in config.json only (e.g. the thread count a run started with)
  bool negated_flag = false;  // a boolean whose flag turns it off: --no-shuffle sets shuffle = false
  // A boolean whose flag takes no value: --raw sets raw = true, and the word after it is never read as its value
  // (`tint colourize --raw photo.jpg`). config.json and sweeps still spell it true / false.
  bool bare_flag = false;

  std::function<std::string(const Config&)> show;  // the value as a flag would spell it
  // Sets the field from flag text; throws tint::Error naming the flag when the text is not a valid value.
  std::function<void(Config&, const std::string&)> parse;
  std::function<nlohmann::json(const Config&)> to_json;
  // Sets the field from config.json; throws tint::Error (without a file name) for a wrong type or range.
  std::function<void(Config&, const nlohmann::json&)> from_json;
  // Throws tint::Error naming the flag when the field's current value is outside the range.
  std::function<void(const Config&)> check;
  // Flag texts the test walks through: values the row accepts, and values it must refuse.
  std::vector<std::string> valid_examples, invalid_examples;
  // For a setting that applies to some configs only: the one-line message refusing its use with `config` (naming the
  // flag and what it applies to), or "" where it applies. Unset: it applies to every config.
  std::function<std::string(const Config&)> refuse_use;
  // For settings whose default means "off" (--soft-targets 0): whether `config`'s value is a use, wherever it came
  // from (a flag, config.json, a sweep). Unset: a use is a flag given on the command line (check_applicable's
  // `given`), the config's value being recorded whatever the kind (a palette run's default --decode).
  std::function<bool(const Config&)> in_use;

  std::string cli_name() const { return (negated_flag ? "--no-" : "--") + flag; }
};

template <class Config>
using SettingsTable = std::vector<Setting<Config>>;

namespace settings_detail {
std::string format_integer(int64_t v);
std::string format_real(double v);
std::string format_real(float v);  // the shortest text that reads back as the float (0.45, not 0.449999988)
// Parses all of `text` as an integer / a finite number, or throws tint::Error naming `flag`.
int64_t parse_integer(const std::string& text, const std::string& flag);
uint64_t parse_unsigned(const std::string& text, const std::string& flag);
double parse_real(const std::string& text, const std::string& flag);
float parse_float(const std::string& text, const std::string& flag);  // rounded once, from the text
// An integer from JSON that fits in [lo, hi], or tint::Error naming `key` (a float or an integer out of range
// would truncate or overflow in get<T>()).
int64_t json_integer(const nlohmann::json& v, const std::string& key, int64_t lo, int64_t hi);
uint64_t json_unsigned(const nlohmann::json& v, const std::string& key);
double json_real(const nlohmann::json& v, const std::string& key);
std::string json_string(const nlohmann::json& v, const std::string& key);
bool json_bool(const nlohmann::json& v, const std::string& key);
std::string join(const std::vector<std::string>& items, const std::string& separator);

template <class Config>
Setting<Config> row(std::string flag, std::string key, std::string help) {
  Setting<Config> s;
  s.flag = std::move(flag);
  s.key = std::move(key);
  s.help = std::move(help);
  return s;
}

// to_json / from_json of a field held as a string (choice, text) or as text (a path).
template <class Config, class Field>
void string_json(Setting<Config>& s, std::function<Field&(Config&)> field) {
  s.to_json = [field](const Config& c) {
    const Field& v = field(const_cast<Config&>(c));
    if constexpr (std::is_same_v<Field, std::string>) {
      return nlohmann::json(v);
    } else {
      return nlohmann::json(v.string());
    }
  };
  s.from_json = [field, key = s.key](Config& c, const nlohmann::json& v) { field(c) = json_string(v, key); };
}
}  // namespace settings_detail

// An integer field in [lo, hi].
template <class Config, class T>
Setting<Config> integer(std::string flag, std::string key, std::function<T&(Config&)> field, int64_t lo, int64_t hi,
                        std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  s.range = std::is_unsigned_v<T> && sizeof(T) == 8 ? "0.." + std::to_string(std::numeric_limits<T>::max())
                                                    : d::format_integer(lo) + ".." + d::format_integer(hi);
  auto get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag, range = s.range;
  auto in_range = [name, lo, hi, range](int64_t v) {
    if (v < lo || v > hi) throw Error(name + " must be in " + range + ", got " + d::format_integer(v));
  };
  s.show = [get](const Config& c) { return std::to_string(get(c)); };
  s.parse = [field, name, in_range](Config& c, const std::string& text) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
      field(c) = d::parse_unsigned(text, name);  // the whole uint64 range (a seed)
    } else {
      const int64_t v = d::parse_integer(text, name);
      in_range(v);
      field(c) = static_cast<T>(v);
    }
  };
  s.to_json = [get](const Config& c) { return nlohmann::json(get(c)); };
  const std::string key_copy = s.key;
  s.from_json = [field, key_copy](Config& c, const nlohmann::json& v) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
      field(c) = d::json_unsigned(v, key_copy);
    } else {
      field(c) =
          static_cast<T>(d::json_integer(v, key_copy, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    }
  };
  s.check = [get, in_range](const Config& c) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
      (void)get;
      (void)in_range;
    } else {
      in_range(static_cast<int64_t>(get(c)));
    }
  };
  s.invalid_examples = {"x", "1.5", ""};
  if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
    s.valid_examples = {"0", std::to_string(std::numeric_limits<T>::max())};
    s.invalid_examples.push_back("-1");
  } else {
    s.valid_examples = {d::format_integer(lo), d::format_integer(hi)};
    if (lo > std::numeric_limits<int64_t>::min()) s.invalid_examples.push_back(d::format_integer(lo - 1));
    if (hi < std::numeric_limits<int64_t>::max()) s.invalid_examples.push_back(d::format_integer(hi + 1));
  }
  return s;
}

// A real field, greater than `lo` (or at least `lo` when `lo_inclusive`) and finite.
template <class Config>
Setting<Config> real(std::string flag, std::string key, std::function<double&(Config&)> field, double lo,
                     bool lo_inclusive, std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  const std::string rule = lo == 0.0 ? (lo_inclusive ? "a number >= 0" : "a positive number")
                                     : std::string(lo_inclusive ? "a number >= " : "a number > ") + d::format_real(lo);
  s.range = rule;
  auto get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag;
  auto in_range = [name, rule, lo, lo_inclusive](double v) {
    if (!std::isfinite(v) || (lo_inclusive ? !(v >= lo) : !(v > lo)))
      throw Error(name + " must be " + rule + ", got " + d::format_real(v));
  };
  s.show = [get](const Config& c) { return d::format_real(get(c)); };
  s.parse = [field, name, in_range](Config& c, const std::string& text) {
    const double v = d::parse_real(text, name);
    in_range(v);
    field(c) = v;
  };
  s.to_json = [get](const Config& c) { return nlohmann::json(get(c)); };
  const std::string key_copy = s.key;
  s.from_json = [field, key_copy](Config& c, const nlohmann::json& v) { field(c) = d::json_real(v, key_copy); };
  s.check = [get, in_range](const Config& c) { in_range(get(c)); };
  s.valid_examples = {d::format_real(lo + 0.5), d::format_real(lo + 1e-3)};
  s.invalid_examples = {"x", "nan", "inf", "", d::format_real(lo - 1.0)};
  if (!lo_inclusive) s.invalid_examples.push_back(d::format_real(lo));
  return s;
}

// A real field (float or double) in [lo, hi], both finite.
template <class Config, class T>
Setting<Config> real_between(std::string flag, std::string key, std::function<T&(Config&)> field, T lo, T hi,
                             std::string help) {
  static_assert(std::is_floating_point_v<T>, "real_between takes a float or double field");
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  s.range = d::format_real(lo) + ".." + d::format_real(hi);
  auto get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag, range = s.range;
  auto in_range = [name, range, lo, hi](T v) {
    if (!std::isfinite(v) || !(v >= lo && v <= hi))
      throw Error(name + " must be a number in " + range + ", got " + d::format_real(v));
  };
  s.show = [get](const Config& c) { return d::format_real(get(c)); };
  s.parse = [field, name, in_range](Config& c, const std::string& text) {
    T v;
    if constexpr (std::is_same_v<T, float>) {
      v = d::parse_float(text, name);
    } else {
      v = d::parse_real(text, name);
    }
    in_range(v);
    field(c) = v;
  };
  s.to_json = [get](const Config& c) { return nlohmann::json(get(c)); };
  s.from_json = [field, key = s.key](Config& c, const nlohmann::json& v) {
    field(c) = static_cast<T>(d::json_real(v, key));
  };
  s.check = [get, in_range](const Config& c) { in_range(get(c)); };
  s.valid_examples = {d::format_real(lo), d::format_real(hi)};
  s.invalid_examples = {"x", "nan", "inf", "", d::format_real(lo - 1), d::format_real(hi + 1)};
  return s;
}

// A text field that must be one of `choices`.
template <class Config>
Setting<Config> choice(std::string flag, std::string key, std::function<std::string&(Config&)> field,
                       std::vector<std::string> choices, std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  s.range = d::join(choices, "|");
  auto get = [field](const Config& c) -> const std::string& { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag;
  auto member = [name, choices](const std::string& v) {
    for (const auto& c : choices) {
      if (c == v) return;
    }
    throw Error(name + " must be one of " + d::join(choices, ", ") + ", got '" + v + "'");
  };
  s.show = [get](const Config& c) { return get(c); };
  s.parse = [field, member](Config& c, const std::string& text) {
    member(text);
    field(c) = text;
  };
  d::string_json(s, field);
  s.check = [get, member](const Config& c) { member(get(c)); };
  s.valid_examples = choices;
  s.invalid_examples = {"", choices.front() + "x"};
  return s;
}

// An enum field, spelled in flags, config.json and messages by `names` (the enum's one name table); the same
// messages as choice().
template <class Config, class E>
Setting<Config> enumeration(std::string flag, std::string key, std::function<E&(Config&)> field,
                            std::vector<std::pair<E, std::string>> names, std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  std::vector<std::string> spelled;
  for (const auto& n : names) spelled.push_back(n.second);
  s.range = d::join(spelled, "|");
  auto get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag;
  auto name_of = [names](E v) -> std::string {
    for (const auto& n : names) {
      if (n.first == v) return n.second;
    }
    return "?";
  };
  auto value_of = [name, names, spelled](const std::string& text) {
    for (const auto& n : names) {
      if (n.second == text) return n.first;
    }
    throw Error(name + " must be one of " + d::join(spelled, ", ") + ", got '" + text + "'");
  };
  s.show = [get, name_of](const Config& c) { return name_of(get(c)); };
  s.parse = [field, value_of](Config& c, const std::string& text) { field(c) = value_of(text); };
  s.to_json = [get, name_of](const Config& c) { return nlohmann::json(name_of(get(c))); };
  s.from_json = [field, value_of, key = s.key](Config& c, const nlohmann::json& v) {
    field(c) = value_of(d::json_string(v, key));
  };
  s.check = [](const Config&) {};  // the field holds one of the names by its type
  s.valid_examples = spelled;
  s.invalid_examples = {"", spelled.front() + "x"};
  return s;
}

// A free text field (checked where it is used, e.g. a CIFAR-10 category against the data set's names).
template <class Config>
Setting<Config> text(std::string flag, std::string key, std::function<std::string&(Config&)> field, std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  s.range = "text";
  auto get = [field](const Config& c) -> const std::string& { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag;
  s.show = [get](const Config& c) { return get(c); };
  auto not_empty = [name](const std::string& t) {
    if (t.empty()) throw Error(name + " must not be empty");
  };
  s.parse = [field, not_empty](Config& c, const std::string& t) {
    not_empty(t);
    field(c) = t;
  };
  d::string_json(s, field);
  s.check = [get, not_empty](const Config& c) { not_empty(get(c)); };
  s.valid_examples = {"horse", "7"};
  s.invalid_examples = {""};
  return s;
}

// A text whose empty value means "not given" (a --run or --cfg that a command may leave out).
template <class Config>
Setting<Config> optional_text(std::string flag, std::string key, std::function<std::string&(Config&)> field,
                              std::string help) {
  auto s = text<Config>(std::move(flag), std::move(key), std::move(field), std::move(help));
  s.check = [](const Config&) {};
  return s;
}

// A file path; empty means "none". A flag value must name an existing file.
template <class Config>
Setting<Config> path(std::string flag, std::string key, std::function<std::filesystem::path&(Config&)> field,
                     std::string help);
// A folder path; empty means "none". A flag value must name an existing folder.
template <class Config>
Setting<Config> folder(std::string flag, std::string key, std::function<std::filesystem::path&(Config&)> field,
                       std::string help);

// A boolean. With `negated_flag`, the flag is --no-<flag> and sets the field to false (the default being true).
template <class Config>
Setting<Config> boolean(std::string flag, std::string key, std::function<bool&(Config&)> field, bool negated_flag,
                        std::string help) {
  namespace d = settings_detail;
  auto s = d::row<Config>(std::move(flag), std::move(key), std::move(help));
  s.range = "true|false";
  s.negated_flag = negated_flag;
  auto get = [field](const Config& c) { return field(const_cast<Config&>(c)); };
  const std::string name = s.cli_name();
  s.show = [get](const Config& c) { return std::string(get(c) ? "true" : "false"); };
  s.parse = [field, name](Config& c, const std::string& t) {
    if (t == "true" || t == "1") {
      field(c) = true;
    } else if (t == "false" || t == "0") {
      field(c) = false;
    } else {
      throw Error(name + " must be true or false, got '" + t + "'");
    }
  };
  s.to_json = [get](const Config& c) { return nlohmann::json(get(c)); };
  const std::string key_copy = s.key;
  s.from_json = [field, key_copy](Config& c, const nlohmann::json& v) { field(c) = d::json_bool(v, key_copy); };
  s.check = [](const Config&) {};
  s.valid_examples = {"true", "false"};
  s.invalid_examples = {"yes", ""};
  return s;
}

// A boolean that is off by default and whose bare flag turns it on (see Setting::bare_flag).
template <class Config>
Setting<Config> switch_flag(std::string flag, std::string key, std::function<bool&(Config&)> field, std::string help) {
  auto s = boolean<Config>(std::move(flag), std::move(key), std::move(field), /*negated_flag=*/false, std::move(help));
  s.bare_flag = true;
  return s;
}

// A row of an inner struct's table as a row of the outer struct's, reached through `inner`.
template <class Outer, class Inner>
Setting<Outer> lift(const Setting<Inner>& row, std::function<Inner&(Outer&)> inner) {
  Setting<Outer> s;
  s.flag = row.flag;
  s.key = row.key;
  s.help = row.help;
  s.range = row.range;
  s.sweepable = row.sweepable;
  s.on_cli = row.on_cli;
  s.negated_flag = row.negated_flag;
  s.bare_flag = row.bare_flag;
  auto in = [inner](const Outer& c) -> const Inner& { return inner(const_cast<Outer&>(c)); };
  s.show = [row, in](const Outer& c) { return row.show(in(c)); };
  s.parse = [row, inner](Outer& c, const std::string& t) { row.parse(inner(c), t); };
  s.to_json = [row, in](const Outer& c) { return row.to_json(in(c)); };
  s.from_json = [row, inner](Outer& c, const nlohmann::json& v) { row.from_json(inner(c), v); };
  s.check = [row, in](const Outer& c) { row.check(in(c)); };
  s.valid_examples = row.valid_examples;
  s.invalid_examples = row.invalid_examples;
  if (row.refuse_use) s.refuse_use = [row, in](const Outer& c) { return row.refuse_use(in(c)); };
  if (row.in_use) s.in_use = [row, in](const Outer& c) { return row.in_use(in(c)); };
  return s;
}

// A row that `tint sweep` may vary.
template <class Config>
Setting<Config> sweepable(Setting<Config> row) {
  row.sweepable = true;
  return row;
}

// A row kept in config.json but offered by no flag (something a run records rather than a choice).
template <class Config>
Setting<Config> recorded_only(Setting<Config> row) {
  row.on_cli = false;
  return row;
}

// The row whose flag is `flag` (without dashes), or nullptr.
template <class Config>
const Setting<Config>* find_setting(const SettingsTable<Config>& table, const std::string& flag) {
  for (const auto& s : table) {
    if (s.flag == flag) return &s;
  }
  return nullptr;
}

// Every row's range check, in table order; throws the first failure.
template <class Config>
void check_settings(const SettingsTable<Config>& table, const Config& config) {
  for (const auto& s : table) s.check(config);
}

// The one check of the rows that apply to some configs only: a row used with a config it does not apply to throws
// its message (the first in table order). A row with `in_use` is used when that says so; another when `given(row)`
// says its flag was given. Without `given`, only values count (config.json, sweeps, the library).
template <class Config>
void check_applicable(const SettingsTable<Config>& table, const Config& config,
                      const std::function<bool(const Setting<Config>&)>& given = {}) {
  for (const auto& s : table) {
    if (!s.refuse_use) continue;
    const bool used = s.in_use ? s.in_use(config) : given && given(s);
    if (!used) continue;
    const std::string why = s.refuse_use(config);
    if (!why.empty()) throw Error(why);
  }
}

template <class Config>
nlohmann::json settings_to_json(const SettingsTable<Config>& table, const Config& config) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : table) j[s.key] = s.to_json(config);
  return j;
}

// Reads the keys of `j` into `config` (absent keys keep its values) and range-checks every row. Unknown keys are
// refused so that a typo does not pass silently. Errors are prefixed with `source` (the file).
template <class Config>
void settings_from_json(const SettingsTable<Config>& table, const nlohmann::json& j, const std::string& source,
                        Config& config) {
  if (!j.is_object()) throw Error(source + ": expected a JSON object");
  for (const auto& item : j.items()) {
    bool known = false;
    for (const auto& s : table) known = known || s.key == item.key();
    if (!known) throw Error(source + ": unknown key '" + item.key() + "'");
  }
  try {
    for (const auto& s : table) {
      if (j.contains(s.key)) s.from_json(config, j[s.key]);
    }
    check_settings(table, config);
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

namespace settings_detail {
// A path to something that must exist when given: a regular file, or a folder.
template <class Config>
Setting<Config> existing_path(std::string flag, std::string key, std::function<std::filesystem::path&(Config&)> field,
                              std::string help, bool folder) {
  auto s = row<Config>(std::move(flag), std::move(key), std::move(help));
  const std::string what = folder ? "an existing folder" : "an existing file";
  s.range = what;
  auto get = [field](const Config& c) -> const std::filesystem::path& { return field(const_cast<Config&>(c)); };
  const std::string name = "--" + s.flag;
  s.show = [get](const Config& c) { return get(c).string(); };
  s.parse = [field, name, what, folder](Config& c, const std::string& t) {
    std::error_code ec;
    if (t.empty() || !(folder ? std::filesystem::is_directory(t, ec) : std::filesystem::is_regular_file(t, ec)))
      throw Error(name + ": '" + t + "' is not " + what);
    field(c) = t;
  };
  string_json(s, field);
  s.check = [](const Config&) {};
  s.valid_examples = {};
  s.invalid_examples = {"", folder ? "/nonexistent/photos" : "/nonexistent/palette.json"};
  return s;
}
}  // namespace settings_detail

template <class Config>
Setting<Config> path(std::string flag, std::string key, std::function<std::filesystem::path&(Config&)> field,
                     std::string help) {
  return settings_detail::existing_path<Config>(std::move(flag), std::move(key), std::move(field), std::move(help),
                                                /*folder=*/false);
}

template <class Config>
Setting<Config> folder(std::string flag, std::string key, std::function<std::filesystem::path&(Config&)> field,
                       std::string help) {
  return settings_detail::existing_path<Config>(std::move(flag), std::move(key), std::move(field), std::move(help),
                                                /*folder=*/true);
}

}  // namespace tint
