// Graceful interruption: SIGINT / SIGTERM set a flag that long jobs poll between units of work (a training batch),
// so they can write a resumable checkpoint and stop cleanly instead of dying mid-write.
#pragma once

#include "tint/core/error.h"

namespace tint {

// Installs handlers for SIGINT and SIGTERM; a second signal while stopping ends the process at once.
void install_interrupt_handlers();
bool interrupt_requested();
void request_interrupt();  // what the handlers do; also for tests
void clear_interrupt();

// Thrown by a job that stopped because of an interrupt after saving its state.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace tint
