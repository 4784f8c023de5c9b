#include "tint/data/cifar10.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

const char* to_string(Split split) { return split == Split::Train ? "train" : "test"; }

std::vector<fs::path> split_files(const fs::path& dir, Split split) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("CIFAR-10 directory {} does not exist or is not a directory", dir.string()));
  }
  const bool full = fs::exists(dir / "data_batch_1.bin", ec) || fs::exists(dir / "test_batch.bin", ec);
  std::vector<fs::path> files;
  if (full) {
    if (split == Split::Train) {
      for (int i = 1; i <= 5; ++i) files.push_back(dir / fmt::format("data_batch_{}.bin", i));
    } else {
      files.push_back(dir / "test_batch.bin");
    }
  } else if (fs::exists(dir / "train.bin", ec) || fs::exists(dir / "test.bin", ec)) {
    files.push_back(dir / (split == Split::Train ? "train.bin" : "test.bin"));
  } else {
    throw Error(
        fmt::format("{} holds no CIFAR-10 binary files: expected data_batch_1..5.bin and test_batch.bin (the official "
                    "cifar-10-batches-bin) or train.bin and test.bin (a subset such as data/cifar10-horse)",
                    dir.string()));
  }
  for (const auto& f : files) {
    if (!fs::exists(f, ec)) throw Error(fmt::format("{}: missing file ({} split)", f.string(), to_string(split)));
  }
  return files;
}

std::vector<std::string> read_class_names(const fs::path& dir) {
  const fs::path file = dir / "batches.meta.txt";
  std::istringstream in(read_file(file));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line.erase(std::remove_if(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); }), line.end());
    if (!line.empty()) names.push_back(line);
  }
  if (names.size() != kNumClasses) {
    throw Error(fmt::format("{}: expected {} class names, found {}", file.string(), kNumClasses, names.size()));
  }
  return names;
}

int category_index(const std::string& name_or_index, const std::vector<std::string>& class_names) {
  for (size_t i = 0; i < class_names.size(); ++i) {
    if (class_names[i] == name_or_index) return static_cast<int>(i);
  }
  if (!name_or_index.empty() && std::all_of(name_or_index.begin(), name_or_index.end(), ::isdigit) &&
      name_or_index.size() <= 3) {
    int index = std::stoi(name_or_index);
    if (index >= 0 && index < static_cast<int>(class_names.size())) return index;
  }
  throw Error(fmt::format("unknown category '{}': expected one of {} or an index 0..{}", name_or_index,
                          fmt::join(class_names, ", "), class_names.size() - 1));
}

namespace {

// Validates the whole buffer and returns the record count; throws naming the file and the first fault.
int64_t validate(std::string_view bytes, const std::string& file, int64_t expected_records) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0) throw Error(fmt::format("{}: empty file, expected CIFAR-10 records of {} bytes", file, kRecordBytes));
  if (size % kRecordBytes != 0) {
    throw Error(fmt::format("{}: truncated record: {} bytes is {} whole records of {} bytes and {} bytes left over",
                            file, size, size / kRecordBytes, kRecordBytes, size % kRecordBytes));
  }
  const int64_t records = size / kRecordBytes;
  if (expected_records > 0 && records != expected_records) {
    throw Error(fmt::format("{}: wrong length: {} bytes ({} records), expected {} bytes ({} records)", file, size,
                            records, expected_records * kRecordBytes, expected_records));
  }
  for (int64_t r = 0; r < records; ++r) {
    auto label = static_cast<unsigned char>(bytes[static_cast<size_t>(r * kRecordBytes)]);
    if (label >= kNumClasses) {
      throw Error(fmt::format("{}: record {} (byte offset {}) has label {}, expected 0..{}", file, r, r * kRecordBytes,
                              label, kNumClasses - 1));
    }
  }
  return records;
}

Cifar10 parse(std::string_view bytes, int64_t records, std::optional<int> category) {
  int64_t kept = 0;
  for (int64_t r = 0; r < records; ++r) {
    if (!category || bytes[static_cast<size_t>(r * kRecordBytes)] == *category) ++kept;
  }
  Cifar10 out;
  out.images = torch::empty({kept, 3, kImageSide, kImageSide}, torch::kUInt8);
  out.labels = torch::empty({kept}, torch::kInt64);
  auto* pixels = out.images.data_ptr<uint8_t>();
  auto* labels = out.labels.data_ptr<int64_t>();
  int64_t k = 0;
  for (int64_t r = 0; r < records; ++r) {
    const char* record = bytes.data() + r * kRecordBytes;
    const auto label = static_cast<unsigned char>(record[0]);
    if (category && label != *category) continue;
    labels[k] = label;
    std::memcpy(pixels + k * kImageBytes, record + 1, kImageBytes);
    ++k;
  }
  return out;
}

}  // namespace

Cifar10 parse_cifar10(std::string_view bytes, const std::string& name, int64_t expected_records) {
  return parse(bytes, validate(bytes, name, expected_records), std::nullopt);
}

Cifar10 read_cifar10_file(const fs::path& file, int64_t expected_records) {
  return parse_cifar10(read_file(file), file.string(), expected_records);
}

Cifar10 read_cifar10(const fs::path& dir, Split split, std::optional<int> category) {
  auto files = split_files(dir, split);
  auto names = read_class_names(dir);
  if (category && (*category < 0 || *category >= kNumClasses)) {
    throw Error(fmt::format("category index {} out of range 0..{}", *category, kNumClasses - 1));
  }
  const bool official = files.front().filename() != "train.bin" && files.front().filename() != "test.bin";
  std::vector<torch::Tensor> images, labels;
  for (const auto& file : files) {
    const std::string bytes = read_file(file);
    const int64_t records = validate(bytes, file.string(), official ? kRecordsPerBatch : 0);
    Cifar10 part = parse(bytes, records, category);
    images.push_back(part.images);
    labels.push_back(part.labels);
  }
  Cifar10 out;
  out.images = images.size() == 1 ? images[0] : torch::cat(images);
  out.labels = labels.size() == 1 ? labels[0] : torch::cat(labels);
  out.class_names = std::move(names);
  return out;
}

Cifar10 read_category(const fs::path& dir, Split split, const std::string& category) {
  if (category == "all") return read_cifar10(dir, split);
  return read_cifar10(dir, split, category_index(category, read_class_names(dir)));
}

}  // namespace tint::data
