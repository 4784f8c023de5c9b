// tint::Error: the one exception type the library throws for bad input or settings.
// Messages name the file or setting at fault and what is wrong, so the CLI can print them as one line.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace tint {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The message of `e` as a person should read it: one line. LibTorch's c10::Error::what() appends a C++ backtrace of
// a dozen frames after its message; this gives the message alone (what_without_backtrace()), and any exception's
// text with its line breaks folded into "; ", so wherever tint reports an error it stays on one line.
std::string message_of(const std::exception& e);

}  // namespace tint
