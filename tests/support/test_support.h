// Shared helpers for tint's tests: locating data, temporary folders, running the CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace tint::test {

// The full CIFAR-10 directory: $TINT_CIFAR10_DIR, else CMake's TINT_TEST_DATA_DIR; nullopt when it has no
// data_batch_1.bin (tests then GTEST_SKIP, saying why).
std::optional<std::filesystem::path> full_cifar10_dir();

// The embedded horse subset in the source tree, and the source tree itself.
std::filesystem::path embedded_data_dir();
std::filesystem::path source_dir();

// A fresh empty directory under the system temp folder, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "tint-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Path of the built `tint` binary ($TINT_BINARY overrides the build's).
std::string tint_binary();

// Runs the built `tint` binary ($TINT_BINARY) with `args` (a shell-quoted string), capturing both streams.
CommandResult run_tint(const std::string& args, const std::string& env = "");

void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// The message of the tint::Error that `f` throws, or "<no error>" when it throws none.
std::string error_of(const std::function<void()>& f);

}  // namespace tint::test

#define TINT_SKIP_WITHOUT_FULL_CIFAR10(dir_var)                                                         \
  auto dir_var##_opt = ::tint::test::full_cifar10_dir();                                               \
  if (!dir_var##_opt) GTEST_SKIP() << "full CIFAR-10 not found: set TINT_CIFAR10_DIR (CMake option "   \
                                      "TINT_TEST_DATA_DIR) to a cifar-10-batches-bin directory";      \
  const std::filesystem::path dir_var = *dir_var##_opt
