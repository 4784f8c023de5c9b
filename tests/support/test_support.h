// Shared helpers for tint's tests: locating data, temporary folders, running the CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tint::test {

// ---- Data and tools a test needs ----
// A test that cannot run here says why, through TINT_SKIP_IF_MISSING: what is missing (a path, a program) and how to
// provide it. It skips, unless $TINT_REQUIRE_DATA=1 (.ci/run sets it): then it fails, because CI has the data and the
// tools scripts/deps.sh installs, and a skip there would be a check silently not made.
// Environment skips stay skips everywhere (a CPU without AVX-512, an ASan build, a mount the container refuses): they
// use GTEST_SKIP directly.
using Missing = std::optional<std::string>;

// Whether $TINT_REQUIRE_DATA is 1.
bool data_required();

// The first of `paths` that does not exist, with `how` (how to provide it); nullopt when all exist.
Missing missing_files(const std::vector<std::filesystem::path>& paths, const std::string& how);
// `what` (a program or module, and how to install it) when `found` is false.
Missing missing_tool(bool found, const std::string& what);

// The full CIFAR-10 directory: $TINT_CIFAR10_DIR, else CMake's TINT_TEST_DATA_DIR (../shared/data/...).
std::filesystem::path full_cifar10_dir();
Missing missing_full_cifar10();

// The detection data (../shared/data/detection: yolo-fastest-1.1/ with 1.1-xl, coco128/, raccoon/, samples/):
// $TINT_DETECTION_DIR, else CMake's TINT_TEST_DETECTION_DIR. Tests name the files they use, relative to it.
std::filesystem::path detection_data_dir();
Missing missing_detection_data(const std::vector<std::string>& relative_paths);

// The real photos (../shared/data/photos: kodak24/ for evaluation only, imagenet-sample/ for training): $TINT_PHOTOS_DIR,
// else CMake's TINT_TEST_PHOTOS_DIR. Tests name the files or folders they use, relative to it.
std::filesystem::path photo_data_dir();
Missing missing_photo_data(const std::vector<std::string>& relative_paths);

// The embedded Yolo-Fastest 1.1 (data/pretrained/yolo-fastest-1.1/: the .cfg, .weights and coco.names, the same
// bytes as the detection data's): what every test that needs only this model uses, so that it runs in any clone.
std::filesystem::path embedded_yolo_fastest_dir();
// The embedded darknet cfgs without weights (data/darknet/: AlexeyAB's yolov4-tiny.cfg and yolov3-tiny.cfg, coco.names):
// `name`.cfg there. Their real weights, where someone has them, are `name`/`name`.weights in the detection data.
std::filesystem::path embedded_darknet_cfg(const std::string& name);
std::filesystem::path embedded_coco_names();
// Photos in the source tree for end-to-end detection tests (tests/data/photos/: three Kodak PhotoCD images, which
// Kodak released for unrestricted use; see the README there), so that `tint detect` is tested in every clone.
std::filesystem::path test_photos_dir();
std::filesystem::path test_photo(const std::string& name);

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
// Whether LibTorch 1.13 runs this CPU's bfloat16 convolutions through oneDNN, which accumulates in fp32 and rounds
// each result once: only with AVX-512 BW, VL and DQ (ATen's mkldnn_bf16_device_check). Elsewhere (a Zen 3 with AVX2)
// its fallback rounds partial sums to bfloat16, and the tests that hold LibTorch's bf16 to one rounding skip.
bool onednn_bf16();
// The GTEST_SKIP message of those tests.
inline constexpr const char* kNoOneDnnBf16 =
    "this CPU lacks AVX-512 BW/VL/DQ: LibTorch's bfloat16 convolutions skip oneDNN and round partial sums, so the "
    "one-rounding bound this test holds them to does not apply";

// What TINT_SKIP_IF_MISSING says when it cannot.
Missing missing_python_cv2();

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
  TintProcess(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err);
  ~TintProcess();
  TintProcess(const TintProcess&) = delete;
  TintProcess& operator=(const TintProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);              // no-op once the child has been reaped
  ProcessEnd wait();                 // blocks until the child ends
  std::optional<ProcessEnd> poll();  // nullopt while it still runs
  bool running() { return !poll().has_value(); }

 private:
  pid_t pid_ = -1;
  std::optional<ProcessEnd> end_;
};

}  // namespace tint::test

// Skips the test when `missing_expr` (a tint::test::Missing) names something missing; under TINT_REQUIRE_DATA=1
// fails it instead, with the same message. The one place where a test decides to skip for what it lacks.
#define TINT_SKIP_IF_MISSING(missing_expr)                                                                        \
  if (const ::tint::test::Missing tint_missing_ = (missing_expr)) {                                               \
    if (::tint::test::data_required()) {                                                                          \
      GTEST_FAIL() << *tint_missing_ << " (TINT_REQUIRE_DATA=1: CI must have it, so this test fails, not skips)"; \
    }                                                                                                             \
    GTEST_SKIP() << *tint_missing_;                                                                               \
  }

#define TINT_SKIP_WITHOUT_FULL_CIFAR10(dir_var)               \
  TINT_SKIP_IF_MISSING(::tint::test::missing_full_cifar10()); \
  const std::filesystem::path dir_var = ::tint::test::full_cifar10_dir()

// TINT_SKIP_WITHOUT_DETECTION_DATA(data, "samples/bus.jpg", "coco128"): `data` is the detection data folder, which
// holds every listed path. A test names what it reads (at least one path), so that the skip names what is missing.
#define TINT_SKIP_WITHOUT_PHOTO_DATA(dir_var, ...)                       \
  TINT_SKIP_IF_MISSING(::tint::test::missing_photo_data({__VA_ARGS__})); \
  const std::filesystem::path dir_var = ::tint::test::photo_data_dir()

#define TINT_SKIP_WITHOUT_DETECTION_DATA(dir_var, ...)                                        \
  static_assert(std::initializer_list<const char*>{__VA_ARGS__}.size() > 0,                   \
                "TINT_SKIP_WITHOUT_DETECTION_DATA: name the detection files the test reads"); \
  TINT_SKIP_IF_MISSING(::tint::test::missing_detection_data({__VA_ARGS__}));                  \
  const std::filesystem::path dir_var = ::tint::test::detection_data_dir()
