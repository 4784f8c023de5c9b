#include "tint/runs/resume.h"

#include <fmt/core.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint {
namespace fs = std::filesystem;

std::string read_checkpoint_to_resume(const fs::path& dir, const std::string& checkpoint_name,
                                      const std::string& fresh_command) {
  std::error_code ec;
  const fs::path checkpoint = dir / checkpoint_name;
  if (fs::exists(checkpoint, ec)) return read_file(checkpoint);
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("--resume {}: no such run directory", dir.string()));
  // Every run writes config.json before its first batch and the checkpoint at the end of each epoch.
  if (fs::exists(dir / "config.json", ec)) {
    throw Error(
        fmt::format("--resume {}: the run stopped before the end of its first epoch, so there is no {} to "
                    "continue from; start it again with `{} -o {} --force` and the settings in {}",
                    dir.string(), checkpoint_name, fresh_command, dir.string(), (dir / "config.json").string()));
  }
  throw Error(fmt::format("--resume {}: holds no run (no {} or config.json)", dir.string(), checkpoint_name));
}

}  // namespace tint
