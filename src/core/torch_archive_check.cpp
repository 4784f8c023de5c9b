#include "torch_archive_check.h"

#include <cstdint>
#include <cstring>
#include <regex>
#include <sstream>

#include <caffe2/serialize/inline_container.h>
#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::detail {

namespace {

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// The longest line of code is_declaration_code matches. libstdc++'s std::regex recurses per character matched, and a
// line of 100000 characters overflowed an 8 MiB stack (SIGSEGV); OutputArchive's lines name one module's parameters
// or one attribute, a few dozen characters.
constexpr size_t kMaxCodeLine = 1024;

// The code OutputArchive writes: `class Module(Module):`, then per attribute one of
//   __parameters__ = ["weight", "bias", ]    __buffers__ = [...]    __annotations__ = []
//   __annotations__["0"] = __torch__.___torch_mangle_2.Module       epoch : int
// (LibTorch 1.13's importer crashed on code that a flipped byte of a compressed entry made: a SEGV in
// ScriptTypeParser::parseClassConstant.)
bool is_declaration_code(const std::string& code) {
  static const std::string name = R"([A-Za-z_][A-Za-z0-9_]*)", key = R"("[^"\\]*")";
  static const std::string type = R"((Tensor|int|float|str|bool|NoneType|__torch__(\.)" + name +
                                  R"()+|(Optional|List|Tuple|Dict)\[[A-Za-z0-9_., \[\]]+\]))";
  static const std::regex header("class " + name + R"(\(Module\):)");
  static const std::regex member(R"(  (__parameters__ = \[()" + key + R"(, )*\]|__buffers__ = \[()" + key +
                                 R"(, )*\]|__annotations__ = \[\]|__annotations__\[)" + key + R"(\] = )" + type + "|" +
                                 name + " : " + type + ")");
  std::istringstream lines(code);
  std::string line;
  if (!std::getline(lines, line) || line.size() > kMaxCodeLine || !std::regex_match(line, header)) return false;
  while (std::getline(lines, line)) {
    if (line.size() > kMaxCodeLine || (!line.empty() && !std::regex_match(line, member))) return false;
  }
  return true;
}

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Walks a pickle opcode by opcode (any protocol, 0 to 5) without running it: every opcode must be pickle's, every
// argument and length-prefixed payload must lie inside the entry, every memo index (LONG_BINPUT, LONG_BINGET) below
// the entry's length (each PUT takes at least two bytes), and STOP must come. LibTorch's unpickler sizes its memo by
// the largest index it is given and its strings by their length fields, before it finds the entry shorter (25 GB
// from a few changed bytes); this refuses such numbers first. Returns what is wrong, or "" when nothing is.
std::string check_pickle(const unsigned char* p, size_t size) {
  size_t at = 0;
  const auto need = [&](uint64_t n) { return n <= size - at; };
  while (at < size) {
    const unsigned char op = p[at++];
    switch (op) {
      case '.':  // STOP
        return "";
      // No argument.
      case '(':
      case '0':
      case '1':
      case '2':
      case 'N':
      case 'R':
      case 'a':
      case 'b':
      case 'd':
      case '}':
      case 'e':
      case 'l':
      case ']':
      case 'o':
      case 's':
      case 't':
      case ')':
      case 'u':
      case 'Q':
      case 0x81:
      case 0x85:
      case 0x86:
      case 0x87:
      case 0x88:
      case 0x89:
      case 0x8f:
      case 0x90:
      case 0x91:
      case 0x92:
      case 0x93:
      case 0x94:
      case 0x97:
      case 0x98:
        break;
      // A newline-terminated argument, or two (GLOBAL, INST).
      case 'F':
      case 'I':
      case 'L':
      case 'S':
      case 'V':
      case 'P':
      case 'g':
      case 'p':
      case 'c':
      case 'i': {
        for (int lines = (op == 'c' || op == 'i') ? 2 : 1; lines > 0; --lines) {
          const void* end = std::memchr(p + at, '\n', size - at);
          if (end == nullptr) return fmt::format("opcode 0x{:02x} at byte {} has no end of line", op, at - 1);
          at = static_cast<const unsigned char*>(end) - p + 1;
        }
        break;
      }
      // Fixed-size arguments.
      case 'K':
      case 'h':
      case 'q':
      case 0x80:
      case 0x82:
      case 'M':
      case 0x83:
      case 'J':
      case 'j':
      case 'r':
      case 0x84:
      case 'G': {
        const int n = (op == 'K' || op == 'h' || op == 'q' || op == 0x80 || op == 0x82) ? 1
                      : (op == 'M' || op == 0x83)                                       ? 2
                      : op == 'G'                                                       ? 8
                                                                                        : 4;
        if (!need(n)) return fmt::format("opcode 0x{:02x} at byte {} runs past the end", op, at - 1);
        if ((op == 'j' || op == 'r') && little_endian(p + at, 4) >= size) {
          return fmt::format("opcode 0x{:02x} at byte {} names memo entry {}, past any the entry can hold", op, at - 1,
                             little_endian(p + at, 4));
        }
        at += n;
        break;
      }
      // A length, then that many bytes (FRAME: the length of the frame that follows).
      case 'U':
      case 'C':
      case 0x8c:
      case 0x8a:
      case 'T':
      case 'X':
      case 'B':
      case 0x8b:
      case 0x8d:
      case 0x8e:
      case 0x96:
      case 0x95: {
        const int n = (op == 'U' || op == 'C' || op == 0x8c || op == 0x8a)  ? 1
                      : (op == 'T' || op == 'X' || op == 'B' || op == 0x8b) ? 4
                                                                            : 8;
        if (!need(n)) return fmt::format("opcode 0x{:02x} at byte {} runs past the end", op, at - 1);
        const uint64_t length = little_endian(p + at, n);
        at += n;
        if (!need(length)) {
          return fmt::format("opcode 0x{:02x} at byte {} says {} bytes follow, {} do", op, at - 1 - n, length,
                             size - at);
        }
        if (op != 0x95) at += length;
        break;
      }
      default:
        return fmt::format("byte {} (0x{:02x}) is no pickle opcode", at - 1, op);
    }
  }
  return "no STOP at the end";
}

}  // namespace

void check_torch_archive(const std::string& bytes, const std::string& name) {
  std::istringstream in(bytes);
  caffe2::serialize::PyTorchStreamReader zip(&in);
  for (const auto& record : zip.getAllRecords()) {
    const bool code = record.rfind("code/", 0) == 0 && ends_with(record, ".py");
    const bool pickle = ends_with(record, ".pkl") || ends_with(record, ".debug_pkl");
    if (!code && !pickle) continue;
    const auto [data, size] = zip.getRecord(record);
    const auto* p = static_cast<const unsigned char*>(data.get());
    if (code && !is_declaration_code(std::string(reinterpret_cast<const char*>(p), size))) {
      throw Error(fmt::format("{}: not a tint checkpoint (unexpected TorchScript code in {})", name, record));
    }
    if (pickle) {
      if (const std::string wrong = check_pickle(p, size); !wrong.empty()) {
        throw Error(fmt::format("{}: not a tint checkpoint (corrupt {}: {})", name, record, wrong));
      }
    }
  }
}

}  // namespace tint::detail
