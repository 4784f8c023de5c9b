#include "tint/colourize/pretrained.h"

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::colourize {

const std::vector<PretrainedColourizer>& pretrained_colourizers() {
  static const std::vector<PretrainedColourizer> table{
      {"cifar10", "unet-cifar10-ab.pt",
       "UNet on all ten CIFAR-10 classes, CIELAB ab bins with class rebalancing, annealed-mean decoding (issue 19)"},
      {"horse", "conv-transpose-horse.pt",
       "the source's ConvTransposeNet on the CIFAR-10 horses, 24-colour palette (the README's 55.87 %)"},
      {"photo", "deep-unet-photo-ab.pt",
       "deep-unet trained on 877 ImageNet sample photos at 128 px, 222 ab bins, --rebalance 0.2, annealed mean; "
       "runs at 128 px (issue 32)"},
  };
  return table;
}

const PretrainedColourizer& find_pretrained(const std::string& name) {
  std::string names;
  for (const auto& p : pretrained_colourizers()) {
    if (p.name == name) return p;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  throw Error(fmt::format("unknown pretrained colourizer '{}': expected one of {}", name, names));
}

}  // namespace tint::colourize
