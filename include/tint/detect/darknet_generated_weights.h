// Seeded stand-in values for a darknet model whose real .weights file is not at hand: enough to check that a network
// is built and computed as another reader (OpenCV's DNN) builds and computes the same cfg, and to time it. They
// detect nothing; no accuracy is ever measured with them.
#pragma once

#include <cstdint>

#include "tint/detect/darknet_model.h"

namespace tint::detect {

// Fills every convolution of `model` from a generator seeded with `seed` (the same values for the same cfg and seed,
// whatever the global generator holds), at scales that keep the activations of order 1 through any depth:
// convolution weights normal with standard deviation sqrt(2 / fan-in) (He's, for leaky and relu; sqrt(1 / fan-in)
// for a head convolution without batchnorm, whose outputs are the raw logits), batchnorm scales in [0.8, 1.2], biases
// and running means in [-0.1, 0.1], running variances in [0.5, 1.5] (away from 0, where darknet's and OpenCV's
// epsilons would part), a bias in [-0.5, 0.5] for a convolution without batchnorm.
void fill_generated_weights(DarknetModelImpl& model, uint64_t seed);

}  // namespace tint::detect
