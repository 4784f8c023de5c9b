// Reader for the official CIFAR-10 binary format.
//
// A record is 1 label byte (0-9) followed by 3,072 pixel bytes: the R, G and B planes, each 32x32 row-major.
// Two directory layouts are accepted:
//   full:   data_batch_1.bin .. data_batch_5.bin (train), test_batch.bin (test), batches.meta.txt
//           (each batch file holds exactly 10,000 records, as published);
//   subset: train.bin and test.bin (any whole number of records), batches.meta.txt
//           (the layout of tint's embedded horses, data/cifar10-horse/).
// Every file is validated in full before any data is returned: a missing file, a wrong length, a truncated record
// or an out-of-range label throws tint::Error naming the file and the fault.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <torch/types.h>

namespace tint::data {

inline constexpr int64_t kImageSide = 32;
inline constexpr int64_t kImageBytes = 3 * kImageSide * kImageSide;  // 3,072
inline constexpr int64_t kRecordBytes = 1 + kImageBytes;             // 3,073
inline constexpr int64_t kRecordsPerBatch = 10000;
inline constexpr int kNumClasses = 10;

enum class Split { Train, Test };
const char* to_string(Split split);

struct Cifar10 {
  torch::Tensor images;  // (N, 3, 32, 32) uint8, channels R, G, B
  torch::Tensor labels;  // (N) int64, 0..9
  std::vector<std::string> class_names;
  int64_t size() const { return labels.size(0); }
};

// The files that hold `split` in `dir`, in reading order; throws naming `dir` if neither layout is present.
std::vector<std::filesystem::path> split_files(const std::filesystem::path& dir, Split split);

// Class names from batches.meta.txt (one per line, index = label); exactly 10 non-empty names.
std::vector<std::string> read_class_names(const std::filesystem::path& dir);

// Resolves a category given as a name ("horse") or an index ("7"); throws listing the valid names otherwise.
int category_index(const std::string& name_or_index, const std::vector<std::string>& class_names);

// Reads one binary file (validated). `expected_records` > 0 demands exactly that many records.
Cifar10 read_cifar10_file(const std::filesystem::path& file, int64_t expected_records = 0);

// Validates and decodes the bytes of one binary file held in memory (what read_cifar10_file does after reading);
// `name` is used in error messages. The entry point of the fuzz harness fuzz/fuzz_cifar10.cpp.
Cifar10 parse_cifar10(std::string_view bytes, const std::string& name, int64_t expected_records = 0);

// Reads a split, keeping only `category` when given (records stay in file order).
Cifar10 read_cifar10(const std::filesystem::path& dir, Split split, std::optional<int> category = std::nullopt);

// The one way tint reads a category: `category` is a class name or index as batches.meta.txt lists them, or "all"
// for every class; throws tint::Error listing the valid names for an unknown one.
Cifar10 read_category(const std::filesystem::path& dir, Split split, const std::string& category);

}  // namespace tint::data
