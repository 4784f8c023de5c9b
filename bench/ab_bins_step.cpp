// Where an ab-bins training step's time goes (issue 32 item 5): `tint train --target ab-bins`'s step (the network's
// forward pass, the loss against hard targets weighted by rebalancing, backward, Adam) on CIFAR-10 images, each phase
// timed on its own, with the fused cross-entropy's kernel chosen by --kernel (ops/cross_entropy_kernels.h) so that
// the lanes kernel (before the wide one) and the wide kernel run in turns in one binary. Prints one JSON line: the
// bins, then per phase the mean milliseconds per batch.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "op_profile.h"
#include "ops/cross_entropy_kernels.h"
#include "tint/core/runtime.h"
#include "tint/data/cifar10.h"
#include "tint/data/lab.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"
#include "tint/train/colour_targets.h"
#include "tint/train/dataset.h"
#include "tint/train/loss.h"
#include "tint/train/precision.h"

int main(int argc, char** argv) {
  std::string model_name = "unet", data_dir = TINT_EMBEDDED_DATA, precision = "fp32", kernel_name = "by-width";
  int batches = 20, batch_size = 100, threads = 0, images_for_bins = 5000, profile = 0;
  double rebalance = 0.2;  // the default of `tint train --target ab-bins`
  CLI::App app{"tint ab-bins training step, phase by phase"};
  app.add_option("--model", model_name);
  app.add_option("--data", data_dir, "CIFAR-10 binary directory (default: the embedded horses)");
  app.add_option("--batches", batches);
  app.add_option("--batch-size", batch_size);
  app.add_option("--threads", threads);
  app.add_option("--fit-images", images_for_bins, "Training images the bins are fitted to");
  app.add_option("--rebalance", rebalance);
  app.add_option("--profile", profile, "Then profile this many steps: operator table on stderr");
  app.add_option("--precision", precision)->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--kernel", kernel_name, "The fused cross-entropy's kernel")
      ->check(CLI::IsMember({"by-width", "lanes", "wide"}));
  CLI11_PARSE(app, argc, argv);
  tint::configure_threads(threads);
  tint::tune_allocator();  // as the tint binary does
  torch::manual_seed(0);
  namespace cpu = tint::ops::cpu;
  const auto kernel = kernel_name == "lanes"  ? cpu::RowKernel::lanes
                      : kernel_name == "wide" ? cpu::RowKernel::wide
                                              : cpu::RowKernel::by_width;

  auto images = tint::data::read_cifar10(data_dir, tint::data::Split::Train).images;
  images = images.slice(0, 0, std::min<int64_t>(images.size(0), images_for_bins));
  auto targets =
      tint::train::ColourTargets::ab_bins(tint::data::AbBins::fit(tint::data::rgb_to_lab(images)), 0.0, rebalance);
  auto set = tint::train::prepare(images, targets);
  tint::models::ModelConfig config;
  config.num_colours = static_cast<int>(targets.size());
  config.head = "pointwise";  // --head auto for ab-bins
  auto model = tint::models::make_model(model_name, config);
  model->set_memory_format(torch::MemoryFormat::ChannelsLast);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(0.001));

  using Clock = std::chrono::steady_clock;
  std::map<std::string, double> ms;  // per phase, summed over the timed batches
  auto lap = [](Clock::time_point& t) {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double, std::milli>(now - t).count();
    t = now;
    return elapsed;
  };
  auto step = [&](int b, bool timed) {
    auto idx = torch::arange(int64_t{b} * batch_size, int64_t{b + 1} * batch_size).remainder(set.size());
    auto t = Clock::now();
    opt.zero_grad();
    auto x = set.grey.index_select(0, idx);
    auto y = set.ids.index_select(0, idx);
    const double batch_ms = lap(t);
    torch::Tensor logits;
    {
      tint::train::PrecisionScope scope(precision);
      logits = model->forward(x);
    }
    const double forward_ms = lap(t);
    // ColourTargets::loss for hard targets weighted by rebalancing (train/colour_targets.cpp), with the kernel
    // forced unless by-width: pixel_cross_entropy's channels-last rows.
    const auto weights = targets.bins().pixel_weights(y, rebalance);
    auto loss = kernel == cpu::RowKernel::by_width
                    ? tint::train::pixel_cross_entropy(logits, y, false, weights)
                    : cpu::cross_entropy_with(kernel, logits.permute({0, 2, 3, 1}).reshape({-1, logits.size(1)}),
                                              y.reshape({-1}), false, weights.reshape({-1}));
    const double loss_ms = lap(t);
    loss.backward();
    const double backward_ms = lap(t);
    opt.step();
    const double optimizer_ms = lap(t);
    if (!timed) return;
    ms["batch"] += batch_ms, ms["forward"] += forward_ms, ms["loss"] += loss_ms, ms["backward"] += backward_ms;
    ms["optimizer"] += optimizer_ms;
  };
  model->train();
  for (int b = 0; b < 2; ++b) step(b, false);  // warm-up
  for (int b = 0; b < batches; ++b) step(b, true);
  if (profile > 0) {
    double total_us = 0.0;
    const auto ops = tint::bench::profile_ops(
        [&] {
          for (int b = 0; b < profile; ++b) step(b, false);
        },
        total_us);
    tint::bench::print_op_table(stderr, ops, total_us, profile, 14);
  }
  nlohmann::json out{{"model", model_name},
                     {"precision", precision},
                     {"kernel", kernel_name},
                     {"bins", targets.size()},
                     {"batch_size", batch_size}};
  double total = 0.0;
  for (auto& [phase, sum] : ms) out["ms_" + phase] = sum / batches, total += sum / batches;
  out["ms_step"] = total;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
