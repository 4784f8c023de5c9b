// A file that another library writes through its own path (FFmpeg's muxers write, seek back and rewrite their
// header), published the way write_file_atomic publishes: the library writes temporary(), a hidden name in the
// destination's folder (the same file system, so the rename is atomic); publish() syncs it and renames it over the
// destination; a PendingFile destroyed unpublished removes it, so an error or an interrupt leaves nothing half-written
// and an earlier version of the destination untouched.
#pragma once

#include <filesystem>

namespace tint {

class PendingFile {
 public:
  explicit PendingFile(std::filesystem::path destination);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  const std::filesystem::path& temporary() const { return temporary_; }
  const std::filesystem::path& destination() const { return destination_; }
  // fsync, then rename over the destination. Throws tint::Error naming the destination (the temporary is removed).
  void publish();

 private:
  std::filesystem::path destination_, temporary_;
  bool published_ = false;
};

}  // namespace tint
