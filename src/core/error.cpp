#include "tint/core/error.h"

#include <c10/util/Exception.h>

namespace tint {

std::string message_of(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
  // LibTorch's messages may still span lines (TORCH_CHECK's context, "Exception raised from ..."): fold them.
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string line;
  line.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') {
      line += text[i];
      continue;
    }
    while (i + 1 < text.size() && (text[i + 1] == '\n' || text[i + 1] == ' ')) ++i;
    line += "; ";
  }
  return line;
}

}  // namespace tint
