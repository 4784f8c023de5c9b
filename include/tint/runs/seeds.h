// Every random stream a run draws from, derived from its --seed and its position alone, so that a resumed run (or
// one resumed by another number of workers) draws exactly what the uninterrupted run drew. One function, so that a
// new kind of run takes its streams from here rather than inventing a formula.
#pragma once

#include <cstdint>

namespace tint::runs {

enum class SeedStream {
  epoch_order,  // the shuffling order of an epoch's training items
  batch,        // the global generator before a step (dropout): one draw per (epoch, batch)
  item,         // a training item's augmentation in an epoch: one generator per (epoch, item)
};

// The seed of `stream` at (epoch, index); index is the batch for `batch`, the item for `item`, unused for
// `epoch_order`. The formulas are those tint has used since each stream appeared (runs/seeds.cpp): changing one
// would change every published number.
uint64_t derive_seed(uint64_t seed, SeedStream stream, uint64_t epoch, uint64_t index = 0);

}  // namespace tint::runs
