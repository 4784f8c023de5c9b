// Atomic file output: write to a temporary file in the destination's folder, flush, then rename over the
// destination, so a reader (or a crash) never sees a half-written file and an earlier version survives failures.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string_view>

namespace tint {

// Writes `bytes` to `path` atomically. Throws tint::Error naming the path on any failure (and leaves `path` as it
// was).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Streams into a temporary file through `fill`, then renames it to `path`. For outputs produced incrementally.
void write_stream_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill);

// Reads a whole file; throws tint::Error naming the path if it is missing or unreadable.
std::string read_file(const std::filesystem::path& path);

// Creates `dir` (and parents) if needed; throws tint::Error naming it if that fails or it is not a directory.
void ensure_directory(const std::filesystem::path& dir);

}  // namespace tint
