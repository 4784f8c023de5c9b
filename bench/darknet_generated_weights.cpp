// Writes a darknet .weights file of generated values (detect::fill_generated_weights) for a cfg whose real weights
// are not at hand, so that bench/detect_compare.py can time the network in tint and in OpenCV's DNN from the same
// files. The values detect nothing: only the forward timings of such a file mean anything.
//
//   build/bench/tint_darknet_generated_weights --cfg yolov4-tiny.cfg --out yolov4-tiny-generated.weights [--seed 1]
#include <cstdio>

#include <CLI/CLI.hpp>

#include "tint/core/error.h"
#include "tint/detect/darknet_generated_weights.h"
#include "tint/detect/darknet_weights.h"

int main(int argc, char** argv) {
  std::string cfg, out;
  uint64_t seed = 1;
  CLI::App app{"A darknet .weights file of generated values for a cfg (for timings without the real weights)"};
  app.add_option("--cfg", cfg, "Darknet .cfg")->required();
  app.add_option("--out", out, "The .weights file to write")->required();
  app.add_option("--seed", seed, "Generator seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    auto model = tint::detect::build_darknet_model(cfg);
    tint::detect::fill_generated_weights(*model, seed);
    tint::detect::save_weights(*model, out, tint::detect::WeightsHeader{});
    std::printf("%s: %lld bytes of generated weights for %s (seed %llu)\n", out.c_str(),
                static_cast<long long>(tint::detect::weights_file_size(*model, tint::detect::WeightsHeader{})),
                cfg.c_str(), static_cast<unsigned long long>(seed));
    return 0;
  } catch (const tint::Error& e) {
    std::fprintf(stderr, "tint_darknet_generated_weights: %s\n", e.what());
    return 2;
  }
}
