#include "tint/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include <fmt/core.h>

#include "tint/core/error.h"
#include "tint/core/pending_file.h"

namespace tint {
namespace fs = std::filesystem;

namespace {

fs::path temp_name_for(const fs::path& path) {
  // Unique per process and call, in the same folder so that rename() stays atomic (same file system).
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return path.parent_path() / fmt::format(".{}.tmp-{}-{:x}", path.filename().string(), ::getpid(), rng());
}

void write_all(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const fs::path tmp = temp_name_for(path.parent_path().empty() ? fs::path(".") / path : path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(fmt::format("cannot write {}: cannot create a file in {}: {}", path.string(), dir.string(),
                            std::strerror(errno)));
  }
  try {
    write_all(fd, bytes.data(), bytes.size(), path);
    if (::fsync(fd) != 0) throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  }
}

void write_stream_atomic(const fs::path& path, const std::function<void(std::ostream&)>& fill) {
  std::ostringstream out;
  fill(out);
  write_file_atomic(path, out.str());
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(fmt::format("{}: no such file", path.string()));
  if (fs::is_directory(path, ec)) throw Error(fmt::format("{}: is a directory, expected a file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading: {}", path.string(), std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(fmt::format("{}: read error", path.string()));
  return buffer.str();
}

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (fs::exists(dir, ec)) throw Error(fmt::format("{}: exists and is not a directory", dir.string()));
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
}

PendingFile::PendingFile(fs::path destination)
    : destination_(std::move(destination)),
      temporary_(temp_name_for(destination_.parent_path().empty() ? fs::path(".") / destination_ : destination_)) {}

PendingFile::~PendingFile() {
  if (!published_) ::unlink(temporary_.c_str());
}

void PendingFile::publish() {
  auto fail = [this](int err) {
    ::unlink(temporary_.c_str());
    published_ = true;  // nothing left to remove
    throw Error(fmt::format("cannot write {}: {}", destination_.string(), std::strerror(err)));
  };
  // The writer closed its handle; open again to sync what it wrote before the rename makes it visible.
  int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    fail(err);
  }
  ::close(fd);
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) fail(errno);
  published_ = true;
}

}  // namespace tint
