#include "tint/runs/run_files.h"

#include <fmt/core.h>

namespace tint::runs {

std::string colourization_files::samples(int epoch) { return fmt::format("samples_epoch_{:02d}.png", epoch); }
std::string detection_files::predictions(int epoch) { return fmt::format("predictions_epoch_{:02d}.jpg", epoch); }

}  // namespace tint::runs
