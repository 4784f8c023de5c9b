#include "support/test_support.h"

#include <gtest/gtest.h>
#include <set>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "tint/core/error.h"

namespace tint::test {
namespace fs = std::filesystem;

bool data_required() {
  const char* v = std::getenv("TINT_REQUIRE_DATA");
  return v != nullptr && std::string(v) == "1";
}

Missing missing_files(const std::vector<fs::path>& paths, const std::string& how) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) return p.string() + " not found: " + how;
  }
  return std::nullopt;
}

bool onednn_bf16() {
  static const bool has = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::set<std::string> flags;
    for (std::string line; std::getline(cpuinfo, line);) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line.substr(line.find(':') + 1));
      for (std::string w; words >> w;) flags.insert(w);
      break;
    }
    return flags.count("avx512bw") && flags.count("avx512vl") && flags.count("avx512dq");
  }();
  return has;
}

Missing missing_tool(bool found, const std::string& what) {
  if (found) return std::nullopt;
  return what + " is missing";
}

namespace {
// $name if set (even empty), else CMake's default.
fs::path setting(const char* name, const char* cmake_default) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : cmake_default;
}

// The first of `relative_paths` missing under `dir` (a data folder the setting `how` names).
Missing missing_under(const fs::path& dir, const std::vector<std::string>& relative_paths, const std::string& how) {
  std::vector<fs::path> paths;
  for (const auto& p : relative_paths) paths.push_back(dir / p);
  return missing_files(paths, how);
}
}  // namespace

fs::path full_cifar10_dir() { return setting("TINT_CIFAR10_DIR", TINT_TEST_CIFAR10_DIR); }

Missing missing_full_cifar10() {
  return missing_files({full_cifar10_dir() / "data_batch_1.bin"},
                       "the full CIFAR-10 set (set TINT_CIFAR10_DIR, or CMake's TINT_TEST_DATA_DIR, to a "
                       "cifar-10-batches-bin directory)");
}

fs::path detection_data_dir() { return setting("TINT_DETECTION_DIR", TINT_TEST_DETECTION_DIR); }

Missing missing_detection_data(const std::vector<std::string>& relative_paths) {
  return missing_under(detection_data_dir(), relative_paths,
                       "the detection data (set TINT_DETECTION_DIR, or CMake's TINT_TEST_DETECTION_DIR, to "
                       "../shared/data/detection)");
}

fs::path photo_data_dir() { return setting("TINT_PHOTOS_DIR", TINT_TEST_PHOTOS_DIR); }

Missing missing_photo_data(const std::vector<std::string>& relative_paths) {
  return missing_under(photo_data_dir(), relative_paths,
                       "the real photos (set TINT_PHOTOS_DIR, or CMake's TINT_TEST_PHOTOS_DIR, to "
                       "../shared/data/photos)");
}

fs::path embedded_yolo_fastest_dir() { return source_dir() / "data" / "pretrained" / "yolo-fastest-1.1"; }

fs::path embedded_darknet_cfg(const std::string& name) { return source_dir() / "data" / "darknet" / (name + ".cfg"); }

fs::path embedded_coco_names() { return source_dir() / "data" / "darknet" / "coco.names"; }

fs::path test_photos_dir() { return source_dir() / "tests" / "data" / "photos"; }

fs::path test_photo(const std::string& name) { return test_photos_dir() / name; }

fs::path embedded_data_dir() { return TINT_TEST_EMBEDDED_DATA; }

fs::path source_dir() { return TINT_TEST_SOURCE_DIR; }

fs::path build_dir() { return TINT_TEST_BUILD_DIR; }

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

ProcessEnd decode_status(int status) {
  ProcessEnd end;
  if (WIFEXITED(status)) {
    end.exited = true;
    end.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    end.signal = WTERMSIG(status);
  }
  return end;
}
}  // namespace

fs::path tint_binary() {
  const char* binary = std::getenv("TINT_BINARY");
  return binary != nullptr ? binary : TINT_TEST_BINARY;
}

std::string kill_at_rename_env(const std::string& name, const std::string& moment, int nth) {
  // Under AddressSanitizer (scripts/sanitize.sh) the preloaded library comes before ASan's runtime, which ASan
  // refuses unless told the order is intended.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options =
      std::string(asan != nullptr ? asan : "") + (asan != nullptr && *asan ? ":" : "") + "verify_asan_link_order=0";
  return "LD_PRELOAD=" + shell_quote(TINT_TEST_KILL_AT_RENAME_LIBRARY) + " ASAN_OPTIONS=" + shell_quote(asan_options) +
         " TINT_TEST_KILL_AT_RENAME=" + shell_quote(name + ":" + moment + ":" + std::to_string(nth));
}

CommandResult run_tint(const std::string& args, const std::string& env) {
  return run_command(env + (env.empty() ? "" : " ") + shell_quote(tint_binary().string()) + " " + args);
}

CommandResult run_command(const std::string& command) {
  TempDir io("tint-cli-io");
  const std::string line =
      "{\n" + command + "\n} >" + shell_quote((io / "out").string()) + " 2>" + shell_quote((io / "err").string());
  int status = std::system(line.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(io / "out");
  r.err = slurp(io / "err");
  return r;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string reference_python() {
  if (const char* p = std::getenv("TINT_PYTHON")) return p;
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

bool python_has_cv2() {
  static const bool found = python_can_import("cv2");
  return found;
}

bool python_can_import(const std::string& module) {
  const std::string command =
      shell_quote(reference_python()) + " -c " + shell_quote("import " + module) + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

Missing missing_python_cv2() {
  return missing_tool(python_has_cv2(), "OpenCV's Python module (`" + reference_python() +
                                            " -c 'import cv2'` fails; Debian: apt-get install python3-opencv, which "
                                            "scripts/deps.sh test installs; or set TINT_PYTHON)");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

std::map<std::string, std::string> read_tree(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = slurp(entry.path());
  }
  return files;
}

void expect_same_files(const std::map<std::string, std::string>& before,
                       const std::map<std::string, std::string>& after) {
  std::string names_before, names_after;
  for (const auto& [name, bytes] : before) names_before += name + " ";
  for (const auto& [name, bytes] : after) names_after += name + " ";
  EXPECT_EQ(names_before, names_after) << "files were added or removed";
  for (const auto& [name, bytes] : before) {
    auto it = after.find(name);
    if (it != after.end()) {
      EXPECT_TRUE(it->second == bytes) << name << " changed";
    }
  }
}

TintProcess::TintProcess(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv_strings{tint_binary().string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The child starts with default signal handling and nothing blocked, whatever the test runner set up.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid_, argv[0], &files, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&files);
  if (rc != 0) throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(rc));
}

TintProcess::~TintProcess() {
  if (!end_) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

void TintProcess::signal(int sig) {
  if (!end_) ::kill(pid_, sig);
}

ProcessEnd TintProcess::wait() {
  while (!end_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_)
      end_ = decode_status(status);
    else if (r < 0 && errno != EINTR)
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  return *end_;
}

std::optional<ProcessEnd> TintProcess::poll() {
  if (end_) return end_;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_)
    end_ = decode_status(status);
  else if (r < 0 && errno != EINTR)
    throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  return end_;
}

}  // namespace tint::test
