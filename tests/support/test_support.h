// Shared helpers for tint's tests: locating data, temporary folders, running the CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tint::test {

// The full CIFAR-10 directory: $TINT_CIFAR10_DIR, else CMake's TINT_TEST_DATA_DIR; nullopt when it has no
// data_batch_1.bin (tests then GTEST_SKIP, saying why).
std::optional<std::filesystem::path> full_cifar10_dir();

// The detection data (../shared/data/detection: yolo-fastest-1.1/, coco128/, raccoon/, samples/):
// $TINT_DETECTION_DIR, else CMake's TINT_TEST_DETECTION_DIR; nullopt when absent (tests then GTEST_SKIP, saying why).
std::optional<std::filesystem::path> detection_data_dir();

// The embedded horse subset in the source tree, the source tree itself, and the build directory the tests were built
// in (where scripts/tint and scripts/count look, through $TINT_BUILD_DIR).
std::filesystem::path embedded_data_dir();
std::filesystem::path source_dir();
std::filesystem::path build_dir();

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

// The `tint` binary under test: $TINT_BINARY, else the one this build made.
std::filesystem::path tint_binary();

// Runs the built `tint` binary ($TINT_BINARY) with `args` (a shell-quoted string), capturing both streams.
CommandResult run_tint(const std::string& args, const std::string& env = "");
// Runs a /bin/sh command line, capturing both streams.
CommandResult run_command(const std::string& command);

// The environment (for run_tint's `env`) that makes the binary SIGKILL itself at the `nth` rename onto a file named
// `name`, just "before" or "after" it: tests/support/kill_at_rename.c, loaded with LD_PRELOAD (the product has no hook).
std::string kill_at_rename_env(const std::string& name, const std::string& moment, int nth);

// Newlines in `s`: a message meant to be one line has exactly 1.
std::size_t count_lines(const std::string& s);

void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// `s` in single quotes for /bin/sh, its own single quotes escaped.
std::string shell_quote(const std::string& s);
// The Python the reference scripts run with: $TINT_PYTHON, else Debian's /usr/bin/python3 (which has python3-torch
// and python3-opencv), else python3 on PATH.
std::string reference_python();
// Whether reference_python() can import OpenCV's module (cv2); asked once per process.
bool python_has_cv2();
// Whether reference_python() can import `module`.
bool python_can_import(const std::string& module);

// The message of the tint::Error that `f` throws, or "<no error>" when it throws none.
std::string error_of(const std::function<void()>& f);
// Every regular file under `dir`: path relative to `dir` -> contents. For "nothing was touched" checks.
std::map<std::string, std::string> read_tree(const std::filesystem::path& dir);

// Fails the current test unless `after` holds exactly the files of `before`, byte for byte.
void expect_same_files(const std::map<std::string, std::string>& before,
                       const std::map<std::string, std::string>& after);

// How a child process ended: exit code, or the signal that killed it.
struct ProcessEnd {
  bool exited = false;  // true: exit_code is valid; false: killed by `signal`
  int exit_code = -1;
  int signal = 0;
};

// The built `tint` binary started as a child (posix_spawn, no shell) with `args`, stdout and stderr going to files,
// for tests that signal a running process. The destructor kills (SIGKILL) and reaps a child still running.
class TintProcess {
 public:
  TintProcess(const std::vector<std::string>& args, const std::filesystem::path& out,
              const std::filesystem::path& err);
  ~TintProcess();
  TintProcess(const TintProcess&) = delete;
  TintProcess& operator=(const TintProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);                    // no-op once the child has been reaped
  ProcessEnd wait();                       // blocks until the child ends
  std::optional<ProcessEnd> poll();        // nullopt while it still runs
  bool running() { return !poll().has_value(); }

 private:
  pid_t pid_ = -1;
  std::optional<ProcessEnd> end_;
};

}  // namespace tint::test

#define TINT_SKIP_WITHOUT_FULL_CIFAR10(dir_var)                                                         \
  auto dir_var##_opt = ::tint::test::full_cifar10_dir();                                               \
  if (!dir_var##_opt) GTEST_SKIP() << "full CIFAR-10 not found: set TINT_CIFAR10_DIR (CMake option "   \
                                      "TINT_TEST_DATA_DIR) to a cifar-10-batches-bin directory";      \
  const std::filesystem::path dir_var = *dir_var##_opt

#define TINT_SKIP_WITHOUT_DETECTION_DATA(dir_var)                                                            \
  auto dir_var##_opt = ::tint::test::detection_data_dir();                                                  \
  if (!dir_var##_opt) GTEST_SKIP() << "detection data not found: set TINT_DETECTION_DIR (CMake option "     \
                                      "TINT_TEST_DETECTION_DIR) to ../shared/data/detection";                \
  const std::filesystem::path dir_var = *dir_var##_opt
