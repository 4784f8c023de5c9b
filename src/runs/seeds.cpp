#include "tint/runs/seeds.h"

namespace tint::runs {

uint64_t derive_seed(uint64_t seed, SeedStream stream, uint64_t epoch, uint64_t index) {
  // Unsigned arithmetic wraps modulo 2^64: defined for every seed.
  switch (stream) {
    case SeedStream::epoch_order:
      return seed * 1000003u + epoch;
    case SeedStream::batch:
      return seed * 1000003u + epoch * 100003u + index;
    case SeedStream::item:
      // A xor of the item's golden-ratio multiple keeps nearby items' generators apart.
      return seed ^ (epoch << 32) ^ index * 0x9E3779B97F4A7C15u;
  }
  return seed;
}

}  // namespace tint::runs
