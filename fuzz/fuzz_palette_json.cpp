// libFuzzer harness: arbitrary bytes as palette.json: nlohmann::json::parse, then tint::data::Palette::from_json (what
// Palette::load does). Input that is not JSON is skipped (the parser's own job); JSON that is not a valid palette must
// end in tint::Error. An accepted palette must hold 2..256 colours in [0, 1].
#include <cstddef>
#include <cstdint>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/data/palette.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    auto palette = tint::data::Palette::from_json(json, "fuzz.json");
    const auto& c = palette.colours();
    if (palette.size() < 2 || palette.size() > 256 || c.size(1) != 3 || c.min().item<float>() < 0.0f ||
        c.max().item<float>() > 1.0f) {
      __builtin_trap();
    }
    // Round trip: what tint writes, it reads back unchanged.
    auto again = tint::data::Palette::from_json(palette.to_json(), "round-trip");
    if (!again.colours().equal(c) || again.category() != palette.category() || again.seed() != palette.seed()) {
      __builtin_trap();
    }
  } catch (const tint::Error&) {}
  return 0;
}
