#include <unistd.h>
#include <algorithm>
#include <cstdlib>

#include <fmt/core.h>

#include "commands.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/core/runtime.h"
#include "tint/data/image_io.h"
#include "tint/report/progress.h"
#include "tint/video/video_writer.h"

namespace tint::cli {
namespace fs = std::filesystem;

void add_threads_flag(CLI::App& cmd, SharedFlags& shared) {
  cmd.add_option("--threads", shared.threads, "Intra-op threads (0 = number of cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

void add_data_flag(CLI::App& cmd, SharedFlags& shared) {
  cmd.add_option("--data", shared.data,
                 "CIFAR-10 binary directory (official cifar-10-batches-bin or a train.bin/test.bin subset); "
                 "default: $TINT_DATA, else the embedded horses");
}

namespace {
fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

fs::path resolve_data_dir(const SharedFlags& shared) {
  if (!shared.data.empty()) return shared.data;
  if (const char* env = std::getenv("TINT_DATA"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  // Installed layout first (bin/../share/tint/cifar10-horse), then the source tree this binary was built from.
  if (auto dir = executable_dir(); !dir.empty()) {
    auto installed = dir.parent_path() / TINT_INSTALL_DATA_SUFFIX;
    if (fs::is_directory(installed, ec)) return installed;
  }
  if (fs::is_directory(TINT_SOURCE_DATA_DIR, ec)) return TINT_SOURCE_DATA_DIR;
  throw Error(
      "no data: the embedded horses were not found next to this binary or in its source tree; pass --data DIR or set "
      "TINT_DATA to a CIFAR-10 binary directory");
}

fs::path shipped_file(const fs::path& install_suffix, const fs::path& source_path, const std::string& missing) {
  std::error_code ec;
  if (auto dir = executable_dir(); !dir.empty()) {
    auto installed = dir.parent_path() / install_suffix;
    if (fs::exists(installed, ec)) return installed;
  }
  if (fs::exists(source_path, ec)) return source_path;
  throw Error(missing);
}

std::vector<fs::path> expand_inputs(const std::vector<std::string>& inputs, bool with_videos) {
  std::vector<fs::path> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(in, ec)) {
        const bool wanted =
            data::is_readable_image_name(entry.path()) || (with_videos && video::is_video_name(entry.path()));
        if (entry.is_regular_file() && wanted) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(in);
    }
  }
  return files;
}

void for_each_file(const std::vector<fs::path>& files, const std::string& label,
                   const std::function<std::string(const fs::path&)>& each) {
  report::ProgressBar bar;
  int failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    bar.update(label, static_cast<int64_t>(i), static_cast<int64_t>(files.size()));
    try {
      const std::string line = each(files[i]);
      bar.clear();
      fmt::print("{}\n", line);
    } catch (const Interrupted&) {
      bar.clear();  // Ctrl-C ends the whole command, not one file of it
      throw;
    } catch (const std::exception& e) {
      bar.clear();
      fmt::print(stderr, "tint: error: {}\n", message_of(e));
      ++failed;
    }
  }
  bar.clear();
  const bool videos =
      std::any_of(files.begin(), files.end(), [](const fs::path& f) { return video::is_video_name(f); });
  if (failed > 0) throw Error(fmt::format("{} of {} {} failed", failed, files.size(), videos ? "files" : "images"));
}

int apply_threads(const SharedFlags& shared) { return configure_threads(shared.threads); }

}  // namespace tint::cli
