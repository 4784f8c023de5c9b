// tint::Error: the one exception type the library throws for bad input or settings.
// Messages name the file or setting at fault and what is wrong, so the CLI can print them as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace tint {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tint
