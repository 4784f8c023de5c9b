#include "tint/colourize/temporal.h"

#include <torch/torch.h>

namespace tint::colourize {

// A settings table reads as one row per setting: clang-format would break every row whose accessor is a
// lambda onto several lines.
// clang-format off
const SettingsTable<TemporalOptions>& temporal_settings() {
  using C = TemporalOptions;
  static const SettingsTable<C> table{
      real_between<C, double>("temporal", "temporal", [](C& c) -> double& { return c.strength; }, 0.0, 0.99,
                              "Videos: how strongly colours are carried from frame to frame where the picture is "
                              "still (0 = every frame on its own; 0.8 averages about 5 frames)"),
      real<C>("still", "still", [](C& c) -> double& { return c.still; }, 0.0, false,
              "Videos: the grey change (0..1, at --size) that counts as motion: smoothing fades out above it"),
      real_between<C, double>("scene-cut", "scene_cut", [](C& c) -> double& { return c.cut; }, 0.0, 1.0,
                              "Videos: a mean grey change (0..1, at --size) above this is a new shot: colours start "
                              "afresh"),
  };
  return table;
}
// clang-format on

TemporalSmoother::TemporalSmoother(TemporalOptions options) : options_(options) {}

Prediction TemporalSmoother::smooth(const Prediction& predicted) {
  torch::InferenceMode guard;
  const bool same_size = last_input_.defined() && last_input_.sizes() == predicted.input.sizes() &&
                         carried_.sizes() == predicted.colour.sizes();
  torch::Tensor change;
  if (same_size) change = (predicted.input - last_input_).abs()[0];  // (1, wh, ww)
  last_input_ = predicted.input;
  const bool cut = same_size && change.mean().item<double>() > options_.cut;
  if (cut) ++cuts_;
  if (options_.strength <= 0.0 || !same_size || cut) {
    carried_ = predicted.colour;
    return predicted;
  }
  const auto weight = (change / options_.still).square_().neg_().exp_().mul_(options_.strength);
  carried_ = carried_ * weight + predicted.colour * (1.0 - weight);
  return {predicted.input, carried_};
}

}  // namespace tint::colourize
