// The ab-bins file (palette.json's counterpart for --target ab-bins runs): {"format": "tint-ab-bins", "version": 1,
// ...}, read strictly, every error naming the source.
#include "tint/data/ab_bins.h"

#include <filesystem>
#include <string>

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "ab_bins_checks.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

nlohmann::json AbBins::to_json() const {
  nlohmann::json centres = nlohmann::json::array();
  nlohmann::json prior = nlohmann::json::array();
  auto c = centres_.accessor<float, 2>();
  auto p = prior_.accessor<double, 1>();
  for (int64_t i = 0; i < size(); ++i) {
    centres.push_back({double(c[i][0]), double(c[i][1])});
    prior.push_back(p[i]);
  }
  return {
      {"format", "tint-ab-bins"}, {"version", 1},       {"grid", options_.grid}, {"prior_sigma", options_.prior_sigma},
      {"pixels", pixels_},        {"centres", centres}, {"prior", prior}};
}

AbBins AbBins::from_json(const nlohmann::json& json, const std::string& source) {
  auto fail = [&](const std::string& what) { return Error(fmt::format("{}: invalid ab bins: {}", source, what)); };
  if (!json.is_object()) throw fail("expected a JSON object");
  if (json.contains("format") && json["format"] != "tint-ab-bins") throw fail("'format' is not \"tint-ab-bins\"");
  if (json.contains("version") && json["version"] != 1) throw fail("unsupported 'version', expected 1");
  auto number = [&](const char* key) {
    if (!json.contains(key) || !json[key].is_number()) throw fail(fmt::format("missing number '{}'", key));
    return json[key].get<double>();
  };
  AbBinsOptions options;
  options.grid = number("grid");
  options.prior_sigma = number("prior_sigma");
  int64_t pixels = 0;
  if (json.contains("pixels")) {
    const auto& value = json["pixels"];
    if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
      throw fail("'pixels' must be a non-negative integer");
    }
    pixels = value.get<int64_t>();
  }
  for (const char* key : {"centres", "prior"}) {
    if (!json.contains(key) || !json[key].is_array()) throw fail(fmt::format("missing array '{}'", key));
  }
  const auto& list = json["centres"];
  const auto& prior_list = json["prior"];
  if (list.size() < 2 || list.size() > size_t(ab_bins_checks::kMaxBins)) {
    throw fail(fmt::format("'centres' has {} entries, expected 2..{}", list.size(), ab_bins_checks::kMaxBins));
  }
  if (prior_list.size() != list.size()) {
    throw fail(fmt::format("'prior' has {} entries for {} centres", prior_list.size(), list.size()));
  }
  auto centres = torch::empty({int64_t(list.size()), 2}, torch::kFloat64);
  auto prior = torch::empty({int64_t(list.size())}, torch::kFloat64);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_number() || !entry[1].is_number()) {
      throw fail(fmt::format("centre {} is not [a, b]", i));
    }
    centres[i][0] = entry[0].get<double>();
    centres[i][1] = entry[1].get<double>();
    if (!prior_list[i].is_number()) throw fail(fmt::format("prior {} is not a number", i));
    prior[i] = prior_list[i].get<double>();
  }
  const std::string why = ab_bins_checks::invalid_reason(centres, prior, options);
  if (!why.empty()) throw fail(why);
  return AbBins(centres, prior, options, pixels);
}

void AbBins::save(const fs::path& path) const { write_file_atomic(path, to_json().dump(2) + "\n"); }

AbBins AbBins::load(const fs::path& path) {
  const std::string text = read_file(path);
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(fmt::format("{}: not valid JSON", path.string()));
  return from_json(json, path.string());
}

}  // namespace tint::data
