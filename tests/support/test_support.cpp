#include "support/test_support.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "tint/core/error.h"

namespace tint::test {
namespace fs = std::filesystem;

std::optional<fs::path> full_cifar10_dir() {
  const char* dir = std::getenv("TINT_CIFAR10_DIR");
  if (dir == nullptr) dir = TINT_TEST_CIFAR10_DIR;
  if (*dir == '\0') return std::nullopt;
  std::error_code ec;
  if (!fs::exists(fs::path(dir) / "data_batch_1.bin", ec)) return std::nullopt;
  return fs::path(dir);
}

fs::path embedded_data_dir() { return TINT_TEST_EMBEDDED_DATA; }

fs::path source_dir() { return TINT_TEST_SOURCE_DIR; }

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  path_ = fs::temp_directory_path() / (tag + "-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

std::string tint_binary() {
  const char* binary = std::getenv("TINT_BINARY");
  return binary != nullptr ? binary : TINT_TEST_BINARY;
}

CommandResult run_tint(const std::string& args, const std::string& env) {
  const std::string binary = tint_binary();
  TempDir io("tint-cli-io");
  const std::string command = env + (env.empty() ? "" : " ") + "'" + binary + "' " + args + " >'" +
                              (io / "out").string() + "' 2>'" + (io / "err").string() + "'";
  int status = std::system(command.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(io / "out");
  r.err = slurp(io / "err");
  return r;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace tint::test
