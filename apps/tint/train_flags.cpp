#include "train_flags.h"

#include <fmt/core.h>

#include "tint/models/colour_net.h"

namespace tint::cli {

void add_train_flags(CLI::App& cmd, train::TrainConfig& c, bool with_model) {
  if (with_model) {
    cmd.add_option("--model", c.model, "Network: pool-upsample, conv-transpose or unet")
        ->check(CLI::IsMember(models::model_names()))
        ->capture_default_str();
  }
  cmd.add_option("--kernel", c.net.kernel, "Convolution kernel size")->check(CLI::Range(1, 15))->capture_default_str();
  cmd.add_option("--num-filters", c.net.num_filters, "NF: filters of the first layer")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd.add_option("--num-colours", c.net.num_colours, "NC: palette size (k-means K)")
      ->check(CLI::Range(2, 256))
      ->capture_default_str();
  cmd.add_option("--dilation", c.net.dilation, "Dilation of the transposed convolutions")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  cmd.add_option("--lr", c.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--batch-size", c.batch_size, "Images per batch")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--epochs", c.epochs, "Epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seed of the palette, initialization and shuffling")->capture_default_str();
  cmd.add_option("--category", c.category, "CIFAR-10 category (name or index)")->capture_default_str();
  cmd.add_flag("!--no-shuffle", c.shuffle,
               "Keep the training order fixed across epochs, as the source notebook did (default: reshuffle every "
               "epoch)");
  cmd.add_option("--palette", c.palette_file, "Reuse this palette.json instead of fitting one")
      ->check(CLI::ExistingFile);
  cmd.add_option("--train-limit", c.train_limit, "Use only the first N training images (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--val-limit", c.val_limit, "Use only the first N validation images (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd.add_option("--precision", c.precision, "fp32, or bf16 (autocast forward passes, fp32 master weights)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd.add_option("--memory-format", c.memory_format,
                 "channels-last (NHWC, faster here) or contiguous (NCHW, LibTorch's default); same numbers to rounding")
      ->check(CLI::IsMember({"channels-last", "contiguous"}))
      ->capture_default_str();
  cmd.add_option("--samples", c.sample_count, "Validation images in each samples figure")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
}

void ConsoleObserver::on_note(const std::string& message) {
  bar_.clear();
  fmt::print("{}{}\n", prefix_, message);
  std::fflush(stdout);
}

void ConsoleObserver::on_batch(int epoch, int64_t done, int64_t total) {
  bar_.update(fmt::format("{}epoch {}", prefix_, epoch), done, total);
}

void ConsoleObserver::on_epoch(const train::EpochMetrics& m, int epochs) {
  bar_.clear();
  fmt::print("{}epoch {:>3}/{}  train loss {:.4f}  val loss {:.4f}  val acc {:5.2f}%  {:6.1f} s\n", prefix_, m.epoch,
             epochs, m.train_loss, m.val_loss, m.val_acc, m.seconds);
  std::fflush(stdout);
}

}  // namespace tint::cli
