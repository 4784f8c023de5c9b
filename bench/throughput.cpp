// tint's side of the throughput comparison (bench/compare.py runs it alternately with bench/reference.py).
// Trains a model for a fixed number of batches on the embedded horses, exactly like the Python reference
// (same data, batch size, Adam, threads, warm-up), then times inference; prints one JSON line.
#include <chrono>
#include <cstdio>

#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "op_profile.h"
#include "tint/core/runtime.h"
#include "tint/data/cifar10.h"
#include "tint/data/palette.h"
#include "tint/models/colour_net.h"
#include "tint/models/model_table.h"
#include "tint/train/dataset.h"
#include "tint/train/loss.h"
#include "tint/train/precision.h"

int main(int argc, char** argv) {
  std::string model_name = "conv-transpose", data_dir = TINT_EMBEDDED_DATA, precision = "fp32";
  int batches = 20, batch_size = 100, threads = 0, colours = 24, profile = 0;
  CLI::App app{"tint training / inference throughput"};
  app.add_option("--model", model_name);
  app.add_option("--data", data_dir);
  app.add_option("--batches", batches);
  app.add_option("--batch-size", batch_size);
  app.add_option("--threads", threads);
  app.add_option("--colours", colours);
  app.add_option("--precision", precision)->check(CLI::IsMember({"fp32", "bf16"}));
  std::string memory_format = "channels-last";
  app.add_option("--memory-format", memory_format, "channels-last (tint's default) or contiguous")
      ->check(CLI::IsMember({"channels-last", "contiguous"}));
  app.add_option("--profile", profile, "Then profile this many training batches: operator table on stderr");
  CLI11_PARSE(app, argc, argv);
  tint::configure_threads(threads);
  tint::tune_allocator();  // as the tint binary does
  torch::manual_seed(0);

  auto images = tint::data::read_cifar10(data_dir, tint::data::Split::Train).images;
  tint::data::Palette palette(torch::rand({colours, 3}));
  auto set = tint::train::prepare(images, palette);
  auto model = tint::models::make_model(model_name, {3, 1, 32, colours});
  model->set_memory_format(memory_format == "contiguous" ? torch::MemoryFormat::Contiguous
                                                         : torch::MemoryFormat::ChannelsLast);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(0.001));
  const int64_t n = int64_t{batches} * batch_size;

  auto batch = [&](int b) {
    return torch::arange(int64_t{b} * batch_size, int64_t{b + 1} * batch_size).remainder(set.size());
  };
  auto step = [&](int b) {
    auto idx = batch(b);
    opt.zero_grad();
    torch::Tensor logits;
    {
      tint::train::PrecisionScope scope(precision);
      logits = model->forward(set.grey.index_select(0, idx));
    }
    auto loss = tint::train::pixel_cross_entropy(logits, set.ids.index_select(0, idx));  // as the trainer
    loss.backward();
    opt.step();
  };
  using Clock = std::chrono::steady_clock;
  model->train();
  for (int b = 0; b < 2; ++b) step(b);  // warm-up, as the reference
  auto t0 = Clock::now();
  for (int b = 0; b < batches; ++b) step(b);
  const double train_rate = n / std::chrono::duration<double>(Clock::now() - t0).count();
  if (profile > 0) {
    double total_us = 0.0;
    auto ops = tint::bench::profile_ops(
        [&] {
          for (int b = 0; b < profile; ++b) step(b);
        },
        total_us);
    std::fprintf(stderr, "tint %s %s, %d batches of %d:\n", model_name.c_str(), precision.c_str(), profile, batch_size);
    tint::bench::print_op_table(stderr, ops, total_us, profile, 12);
  }

  model->eval();
  double infer_rate = 0.0;
  {
    torch::InferenceMode guard;
    tint::train::PrecisionScope scope(precision);
    model->forward(set.grey.slice(0, 0, batch_size));
    t0 = Clock::now();
    for (int b = 0; b < batches; ++b) model->forward(set.grey.index_select(0, batch(b)));
    infer_rate = n / std::chrono::duration<double>(Clock::now() - t0).count();
  }
  // Palette labelling of every training pixel (5,000 x 32 x 32).
  auto rgb = set.rgb;
  t0 = Clock::now();
  auto ids = palette.label(rgb);
  const double label_rate = ids.numel() / std::chrono::duration<double>(Clock::now() - t0).count();

  std::printf("%s\n", nlohmann::json{{"impl", "tint"},
                                     {"model", model_name},
                                     {"precision", precision},
                                     {"memory_format", memory_format},
                                     {"train_images_per_s", train_rate},
                                     {"infer_images_per_s", infer_rate},
                                     {"label_pixels_per_s", label_rate}}
                          .dump()
                          .c_str());
  return 0;
}
