// libFuzzer harness: arbitrary bytes as config.json: nlohmann::json::parse, then tint::train::config_from_json (how a
// run's config is read back, from config.json or a checkpoint). Input that is not JSON is skipped; JSON that is not a
// valid config must end in tint::Error. An accepted config must survive a round trip unchanged.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    auto config = tint::train::config_from_json(json, "fuzz.json");
    auto again = tint::train::config_from_json(tint::train::to_json(config), "round-trip");
    if (tint::train::to_json(again) != tint::train::to_json(config)) __builtin_trap();
  } catch (const tint::Error&) {}
  return 0;
}
