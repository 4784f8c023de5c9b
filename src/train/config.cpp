#include "tint/train/config.h"

#include <cstdint>
#include <limits>
#include <set>
#include <type_traits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/models/colour_net.h"

namespace tint::train {

void validate(const TrainConfig& c) {
  models::validate(c.model, c.net);
  if (!(c.learning_rate > 0.0) || !std::isfinite(c.learning_rate)) {
    throw Error(fmt::format("--lr must be a positive number, got {}", c.learning_rate));
  }
  if (c.batch_size < 1) throw Error(fmt::format("--batch-size must be >= 1, got {}", c.batch_size));
  if (c.epochs < 1) throw Error(fmt::format("--epochs must be >= 1, got {}", c.epochs));
  if (c.train_limit < 0) throw Error("--train-limit must be >= 0");
  if (c.val_limit < 0) throw Error("--val-limit must be >= 0");
  if (c.kmeans_iterations < 1) throw Error("--kmeans-iterations must be >= 1");
  if (c.sample_count < 1 || c.sample_count > 64) throw Error("--samples must be in 1..64");
  if (c.precision != "fp32" && c.precision != "bf16") {
    throw Error(fmt::format("--precision must be fp32 or bf16, got '{}'", c.precision));
  }
  if (c.memory_format != "channels-last" && c.memory_format != "contiguous") {
    throw Error(fmt::format("--memory-format must be channels-last or contiguous, got '{}'", c.memory_format));
  }
  if (c.threads < 0 || c.threads > 4096) throw Error(fmt::format("threads must be in 0..4096, got {}", c.threads));
}

c10::MemoryFormat memory_format(const TrainConfig& c) {
  return c.memory_format == "contiguous" ? c10::MemoryFormat::Contiguous : c10::MemoryFormat::ChannelsLast;
}

nlohmann::json to_json(const TrainConfig& c) {
  return {{"model", c.model},
          {"kernel", c.net.kernel},
          {"num_in_channels", c.net.num_in_channels},
          {"num_filters", c.net.num_filters},
          {"num_colours", c.net.num_colours},
          {"dilation", c.net.dilation},
          {"learning_rate", c.learning_rate},
          {"batch_size", c.batch_size},
          {"epochs", c.epochs},
          {"seed", c.seed},
          {"category", c.category},
          {"shuffle", c.shuffle},
          {"train_limit", c.train_limit},
          {"val_limit", c.val_limit},
          {"palette_file", c.palette_file.string()},
          {"kmeans_iterations", c.kmeans_iterations},
          {"sample_count", c.sample_count},
          {"precision", c.precision},
          {"memory_format", c.memory_format},
          {"threads", c.threads}};
}

namespace {
// Whether JSON value `v` is an integer that T holds exactly (nlohmann keeps non-negative integers as unsigned).
template <typename T>
bool integer_fits(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!v.is_number_integer()) return false;
  const int64_t x = v.get<int64_t>();
  if constexpr (std::is_signed_v<T>) {
    return x >= std::numeric_limits<T>::min() && x <= std::numeric_limits<T>::max();
  } else {
    return x >= 0;
  }
}
}  // namespace

TrainConfig config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object", source));
  const TrainConfig defaults;
  const auto known = to_json(defaults);
  for (const auto& item : j.items()) {
    if (!known.contains(item.key())) throw Error(fmt::format("{}: unknown key '{}'", source, item.key()));
    if (item.value().type() != known[item.key()].type() &&
        !(item.value().is_number() && known[item.key()].is_number())) {
      throw Error(fmt::format("{}: '{}' has the wrong type (expected {})", source, item.key(),
                              known[item.key()].type_name()));
    }
  }
  TrainConfig c;
  auto get = [&](const char* key, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if (!j.contains(key)) return;
    const auto& v = j[key];
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // get<T>() would truncate a float, or an integer past the range of T (undefined behaviour for a float): found
      // by fuzz/fuzz_config_json.cpp with "num_filters": 2.2e81.
      if (!integer_fits<T>(v)) {
        throw Error(fmt::format("{}: '{}' must be an integer in {}..{}, got {}", source, key,
                                std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), v.dump()));
      }
    }
    field = v.get<T>();
  };
  get("model", c.model);
  get("kernel", c.net.kernel);
  get("num_in_channels", c.net.num_in_channels);
  get("num_filters", c.net.num_filters);
  get("num_colours", c.net.num_colours);
  get("dilation", c.net.dilation);
  get("learning_rate", c.learning_rate);
  get("batch_size", c.batch_size);
  get("epochs", c.epochs);
  get("seed", c.seed);
  get("category", c.category);
  get("shuffle", c.shuffle);
  get("train_limit", c.train_limit);
  get("val_limit", c.val_limit);
  std::string palette;
  get("palette_file", palette);
  c.palette_file = palette;
  get("kmeans_iterations", c.kmeans_iterations);
  get("sample_count", c.sample_count);
  get("precision", c.precision);
  get("memory_format", c.memory_format);  // absent in runs made before it existed: the default applies
  get("threads", c.threads);              // likewise: 0, not recorded
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", source, e.what()));
  }
  return c;
}

}  // namespace tint::train
