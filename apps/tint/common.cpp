#include <unistd.h>
#include <algorithm>
#include <cstdlib>

#include <fmt/core.h>
#include <torch/types.h>

#include "commands.h"
#include "tint/core/error.h"
#include "tint/core/interrupt.h"
#include "tint/core/runtime.h"
#include "tint/data/image_io.h"
#include "tint/distributed/group.h"
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

std::string for_each_file(const std::vector<fs::path>& files, const std::string& label,
                          const std::function<std::string(const fs::path&)>& each, distributed::Group* group) {
  const size_t rank = group != nullptr ? static_cast<size_t>(group->rank()) : 0;
  const size_t workers = group != nullptr ? static_cast<size_t>(group->size()) : 1;
  const int64_t mine = files.size() > rank ? static_cast<int64_t>((files.size() - rank + workers - 1) / workers) : 0;
  report::ProgressBar bar;
  int64_t done = 0, failed = 0;
  for (size_t i = rank; i < files.size(); i += workers) {
    bar.update(label, done + failed, mine);
    try {
      const std::string line = each(files[i]);
      bar.clear();
      fmt::print("{}\n", line);
      std::fflush(stdout);  // whole lines, as the workers share the terminal or pipe
      ++done;
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
  const std::string noun = videos ? "files" : "images";
  if (group != nullptr) {
    auto counts = torch::tensor({done, failed}, torch::kInt64);
    group->allreduce_sum(counts);
    done = counts[0].item<int64_t>();
    failed = counts[1].item<int64_t>();
    if (group->rank() != 0) return {};  // rank 0 speaks for the job
    fmt::print("{} {} shared by {} workers: {} done, {} failed\n", files.size(), noun, workers, done, failed);
  }
  return failed > 0 ? fmt::format("{} of {} {} failed", failed, files.size(), noun) : std::string();
}

void for_each_file_on_workers(SharedFlags& shared, int nproc, const std::vector<fs::path>& files,
                              const std::string& label, const std::function<std::string(const fs::path&)>& each) {
  std::string failed;
  // Raised after run_data_parallel returns: a worker that threw inside it would leave the others at its barrier.
  run_data_parallel(shared, nproc,
                    [&](distributed::Group* group) { failed = for_each_file(files, label, each, group); });
  if (!failed.empty()) throw Error(failed);
}

int apply_threads(const SharedFlags& shared) { return configure_threads(shared.threads); }

}  // namespace tint::cli
