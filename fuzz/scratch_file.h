// For harnesses whose reader takes a path: each input goes to one file per process (parallel fuzzers, -jobs, do not
// share it), written plainly (an atomic write's fsync would cost more than the reading), removed at exit.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

class ScratchFile {
 public:
  // name: what the file is, e.g. "checkpoint" -> /tmp/tint-fuzz-checkpoint-<pid><extension>
  ScratchFile(const std::string& name, const std::string& extension)
      : path_(std::filesystem::temp_directory_path() /
              ("tint-fuzz-" + name + "-" + std::to_string(::getpid()) + extension)) {}
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::filesystem::path& write(const std::string& bytes) const {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    return path_;
  }

 private:
  std::filesystem::path path_;
};
