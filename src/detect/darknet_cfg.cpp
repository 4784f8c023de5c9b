#include "tint/detect/darknet_cfg.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::detect {

// What tint knows of each section type. `used`: options tint reads to build or decode the network. `training`:
// options darknet (AlexeyAB's parser.c) reads only to train or post-process; tint keeps them so that a cfg written back
// still trains in darknet, and does not act on them. Anything else is an error: an option that changes inference
// (e.g. [yolo] new_coords, [convolutional] dilation) must not be ignored, and a typo must not pass as a default.
namespace {

struct SectionKeys {
  std::set<std::string> used, training;
};

const std::map<std::string, SectionKeys>& darknet_section_keys() {
  static const std::map<std::string, SectionKeys> keys = {
      {"net",
       {{"width", "height", "channels"},
        {"batch",
         "subdivisions",
         "momentum",
         "decay",
         "angle",
         "saturation",
         "exposure",
         "hue",
         "aspect",
         "learning_rate",
         "learning_rate_min",
         "burn_in",
         "max_batches",
         "policy",
         "steps",
         "scales",
         "seq_scales",
         "step",
         "scale",
         "gamma",
         "power",
         "sgdr_cycle",
         "sgdr_mult",
         "adam",
         "B1",
         "B2",
         "eps",
         "flip",
         "blur",
         "gaussian_noise",
         "mixup",
         "cutmix",
         "mosaic",
         "mosaic_bound",
         "letter_box",
         "max_crop",
         "min_crop",
         "label_smooth_eps",
         "resize_step",
         "max_chart_loss",
         "ema_alpha",
         "try_fix_nan",
         "loss_scale",
         "dynamic_minibatch",
         "optimized_memory",
         "workspace_size_limit_MB",
         "sequential_subdivisions",
         "augment_speed",
         "show_receptive_field"}}},
      {"convolutional",
       {{"filters", "size", "stride", "pad", "padding", "groups", "batch_normalize", "activation"},
        {"learning_rate", "stopbackward"}}},
      {"shortcut", {{"from", "activation", "weights_type", "weights_normalization"}, {}}},
      {"route", {{"layers", "groups", "group_id"}, {}}},
      {"upsample", {{"stride"}, {}}},
      {"maxpool", {{"size", "stride", "padding"}, {}}},
      {"dropout", {{"probability"}, {}}},
      {"yolo",
       {{"mask", "anchors", "classes", "num", "scale_x_y", "ignore_thresh", "truth_thresh", "iou_thresh",
         "iou_normalizer", "cls_normalizer", "obj_normalizer", "iou_loss"},
        {"jitter", "random", "resize", "nms_kind", "beta_nms", "max", "focal_loss", "label_smooth_eps", "max_delta",
         "counters_per_class", "delta_normalizer", "iou_thresh_kind", "objectness_smooth", "show_details"}}},
  };
  return keys;
}

// Darknet's other spellings of a section type (string_to_layer_type).
std::string canonical_section_type(const std::string& type) {
  if (type == "network") return "net";
  if (type == "conv") return "convolutional";
  if (type == "max") return "maxpool";
  return type;
}

// Options whose value is one of a few words, checked here so that a misspelt word is not read as darknet's default.
const std::map<std::string, std::set<std::string>>& darknet_enumerated_values() {
  static const std::map<std::string, std::set<std::string>> values = {
      {"iou_loss", {"mse", "iou", "giou", "diou", "ciou"}},
      {"iou_thresh_kind", {"iou", "giou", "diou", "ciou"}},
      {"nms_kind", {"default", "greedynms", "diounms", "cornersnms"}},
      {"weights_type", {"none"}},  // per_feature / per_channel shortcut weights: not supported
      {"weights_normalization", {"none"}},
  };
  return values;
}

std::string trim_cfg_blanks(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n\f\v");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n\f\v");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split_cfg_list(const std::string& value) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(value);
  while (std::getline(in, item, ',')) items.push_back(trim_cfg_blanks(item));
  if (!value.empty() && value.back() == ',') items.emplace_back();
  return items;
}

bool parse_cfg_int(const std::string& text, int& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size() || v < -2147483647L || v > 2147483647L) return false;
  out = static_cast<int>(v);
  return true;
}

bool parse_cfg_float(const std::string& text, float& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const float v = std::strtof(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) return false;  // a NUL inside too
  out = v;
  return true;
}

}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "leaky") return Activation::leaky;
  if (name == "linear") return Activation::linear;
  if (name == "relu") return Activation::relu;
  if (name == "logistic") return Activation::logistic;
  if (name == "mish") return Activation::mish;
  if (name == "swish") return Activation::swish;
  throw Error(fmt::format("unknown activation '{}': expected leaky, linear, relu, logistic, mish or swish", name));
}

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::leaky:
      return "leaky";
    case Activation::linear:
      return "linear";
    case Activation::relu:
      return "relu";
    case Activation::logistic:
      return "logistic";
    case Activation::mish:
      return "mish";
    case Activation::swish:
      return "swish";
  }
  return "?";
}

const CfgOption* CfgSection::find(const std::string& key) const {
  for (const auto& o : options)
    if (o.key == key) return &o;
  return nullptr;
}

std::string CfgSection::where(const std::string& key) const {
  const CfgOption* o = key.empty() ? nullptr : find(key);
  const int at = o && o->line > 0 ? o->line : line;
  if (index < 0) return fmt::format("{}:{}: [{}]", file_name, at, type);
  return fmt::format("{}:{}: layer {} [{}]", file_name, at, index, type);
}

void CfgSection::fail(const std::string& key, const std::string& what) const {
  if (key.empty()) throw Error(fmt::format("{}: {}", where(), what));
  throw Error(fmt::format("{}: option '{}': {}", where(key), key, what));
}

int CfgSection::get_int(const std::string& key, int fallback) const {
  const CfgOption* o = find(key);
  if (!o) return fallback;
  int v = 0;
  if (!parse_cfg_int(o->value, v)) fail(key, fmt::format("expected an integer, got '{}'", o->value));
  return v;
}

int CfgSection::require_int(const std::string& key) const {
  if (!has(key)) fail("", fmt::format("option '{}' (an integer) is required", key));
  return get_int(key, 0);
}

float CfgSection::get_float(const std::string& key, float fallback) const {
  const CfgOption* o = find(key);
  if (!o) return fallback;
  float v = 0;
  if (!parse_cfg_float(o->value, v)) fail(key, fmt::format("expected a number, got '{}'", o->value));
  return v;
}

std::string CfgSection::get_string(const std::string& key, const std::string& fallback) const {
  const CfgOption* o = find(key);
  return o ? o->value : fallback;
}

std::vector<int> CfgSection::get_ints(const std::string& key) const {
  const CfgOption* o = find(key);
  if (!o) fail("", fmt::format("option '{}' (a list of integers) is required", key));
  std::vector<int> values;
  for (const auto& item : split_cfg_list(o->value)) {
    int v = 0;
    if (!parse_cfg_int(item, v))
      fail(key, fmt::format("expected comma-separated integers, got '{}' in '{}'", item, o->value));
    values.push_back(v);
  }
  return values;
}

std::vector<float> CfgSection::get_floats(const std::string& key) const {
  const CfgOption* o = find(key);
  if (!o) fail("", fmt::format("option '{}' (a list of numbers) is required", key));
  std::vector<float> values;
  for (const auto& item : split_cfg_list(o->value)) {
    float v = 0;
    if (!parse_cfg_float(item, v))
      fail(key, fmt::format("expected comma-separated numbers, got '{}' in '{}'", item, o->value));
    values.push_back(v);
  }
  return values;
}

Activation CfgSection::get_activation(const std::string& fallback) const {
  const std::string name = get_string("activation", fallback);
  try {
    return parse_activation(name);
  } catch (const Error& e) {
    fail("activation", e.what());
  }
}

void CfgSection::set(const std::string& key, const std::string& value) {
  for (auto& o : options)
    if (o.key == key) {
      o.value = value;
      return;
    }
  options.push_back({key, value, 0});
}

DarknetCfg parse_cfg(std::string_view text, const std::string& file_name) {
  DarknetCfg cfg;
  cfg.file_name = file_name;
  const auto& known = darknet_section_keys();
  const auto& enumerated = darknet_enumerated_values();
  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = trim_cfg_blanks(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const auto here = [&] { return fmt::format("{}:{}", file_name, line_number); };
    if (line[0] == '[') {
      if (line.back() != ']')
        throw Error(fmt::format("{}: expected a section header such as [convolutional], got '{}'", here(), line));
      CfgSection section;
      section.type = canonical_section_type(trim_cfg_blanks(std::string_view(line).substr(1, line.size() - 2)));
      section.line = line_number;
      section.index = static_cast<int>(cfg.sections.size()) - 1;
      section.file_name = file_name;
      const bool is_net = section.type == "net";
      if (cfg.sections.empty() && !is_net)
        throw Error(fmt::format("{}: the first section must be [net], got [{}]", here(), section.type));
      if (!cfg.sections.empty() && is_net)
        throw Error(fmt::format("{}: layer {}: [net] may only be the first section (it is at line {})", here(),
                                section.index, cfg.sections.front().line));
      if (!known.count(section.type)) {
        std::vector<std::string> types;
        for (const auto& [type, keys] : known)
          if (type != "net") types.push_back(type);
        throw Error(fmt::format("{}: layer {}: unsupported section type [{}]: expected one of [{}]", here(),
                                section.index, section.type, fmt::join(types, "], [")));
      }
      cfg.sections.push_back(std::move(section));
      continue;
    }
    if (cfg.sections.empty())
      throw Error(fmt::format("{}: expected the [net] section before any option, got '{}'", here(), line));
    CfgSection& section = cfg.sections.back();
    const auto context = [&] {
      return section.index >= 0 ? fmt::format("{}: layer {} [{}]", here(), section.index, section.type)
                                : fmt::format("{}: [net]", here());
    };
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw Error(fmt::format("{}: expected key=value, got '{}'", context(), line));
    CfgOption option;
    option.key = trim_cfg_blanks(std::string_view(line).substr(0, eq));
    std::string value = line.substr(eq + 1);
    // A comment after the value: darknet's atoi/atof stop there too.
    const auto comment = value.find_first_of("#;");
    if (comment != std::string::npos) value.resize(comment);
    option.value = trim_cfg_blanks(value);
    option.line = line_number;
    if (option.key.empty()) throw Error(fmt::format("{}: expected a key before '=', got '{}'", context(), line));
    const SectionKeys& keys = known.at(section.type);
    if (!keys.used.count(option.key) && !keys.training.count(option.key)) {
      std::vector<std::string> names(keys.used.begin(), keys.used.end());
      names.insert(names.end(), keys.training.begin(), keys.training.end());
      throw Error(fmt::format("{}: unsupported option '{}' in [{}]: tint knows {}", context(), option.key, section.type,
                              fmt::join(names, ", ")));
    }
    if (const CfgOption* first = section.find(option.key))
      throw Error(fmt::format("{}: option '{}' is given twice (first at line {})", context(), option.key, first->line));
    if (option.value.empty()) throw Error(fmt::format("{}: option '{}' has no value", context(), option.key));
    if (const auto e = enumerated.find(option.key); e != enumerated.end() && !e->second.count(option.value))
      throw Error(fmt::format("{}: option '{}': unsupported value '{}': expected {}", context(), option.key,
                              option.value, fmt::join(e->second, ", ")));
    if (option.key == "activation") {
      try {
        parse_activation(option.value);
      } catch (const Error& e) {
        throw Error(fmt::format("{}: option 'activation': {}", context(), e.what()));
      }
    }
    section.options.push_back(std::move(option));
  }
  if (cfg.sections.empty()) throw Error(fmt::format("{}: no sections: expected [net] and the layers", file_name));
  return cfg;
}

DarknetCfg read_cfg(const std::filesystem::path& path) { return parse_cfg(read_file(path), path.string()); }

std::string format_cfg(const DarknetCfg& cfg) {
  std::string out;
  for (const auto& section : cfg.sections) {
    if (!out.empty()) out += '\n';
    out += fmt::format("[{}]\n", section.type);
    for (const auto& o : section.options) out += fmt::format("{}={}\n", o.key, o.value);
  }
  return out;
}

void write_cfg(const std::filesystem::path& path, const DarknetCfg& cfg) { write_file_atomic(path, format_cfg(cfg)); }

}  // namespace tint::detect
