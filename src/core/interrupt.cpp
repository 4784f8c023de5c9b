#include "tint/core/interrupt.h"

#include <unistd.h>
#include <csignal>

#include <atomic>

namespace tint {
namespace {
std::atomic<int> g_signals{0};

extern "C" void on_signal(int sig) {
  if (g_signals.fetch_add(1) > 0) {
    // Second signal: the user insists. Leave at once (files on disk are whole thanks to atomic writes).
    ::_exit(128 + sig);
  }
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_signals.load() > 0; }
void request_interrupt() { g_signals.store(1); }
void clear_interrupt() { g_signals.store(0); }

}  // namespace tint
