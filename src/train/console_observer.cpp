#include "tint/train/console_observer.h"

#include <cstdio>

#include <fmt/core.h>

namespace tint::train {

void ConsoleObserver::on_note(const std::string& message) {
  bar_.clear();
  fmt::print("{}{}\n", prefix_, message);
  std::fflush(stdout);
}

void ConsoleObserver::on_batch(int epoch, int64_t done, int64_t total) {
  bar_.update(fmt::format("{}epoch {}", prefix_, epoch), done, total);
}

void ConsoleObserver::on_epoch(const EpochMetrics& m, int epochs) {
  bar_.clear();
  fmt::print("{}epoch {:>3}/{}  train loss {:.4f}  val loss {:.4f}  val acc {:5.2f}%  {:6.1f} s{}\n", prefix_, m.epoch,
             epochs, m.train_loss, m.val_loss, m.val_acc, m.seconds,
             m.colour ? fmt::format("  AuC {:.2f}%  rebalanced {:.2f}%  PSNR {:.2f} dB  colourfulness {:.1f}",
                                    m.colour->auc, m.colour->auc_rebalanced, m.colour->psnr, m.colour->colourfulness)
                      : std::string());
  std::fflush(stdout);
}

}  // namespace tint::train
