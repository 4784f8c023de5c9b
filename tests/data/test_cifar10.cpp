// CIFAR-10 reader: counts and known pixels on the real files, the embedded subset against the full set, and the
// rejection of every kind of malformed input with a message that names the file and the fault.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"

namespace tint::data {
namespace {
using test::error_of;
namespace fs = std::filesystem;
using test::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A record with the given label whose pixels are all `value`.
std::string record(unsigned char label, unsigned char value = 17) {
  std::string r(kRecordBytes, static_cast<char>(value));
  r[0] = static_cast<char>(label);
  return r;
}

void write_meta(const fs::path& dir) {
  test::write_bytes(dir / "batches.meta.txt",
                    "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
}

TEST(Cifar10Full, CountsPerSplitAndClass) {
  TINT_SKIP_WITHOUT_FULL_CIFAR10(dir);
  auto train = read_cifar10(dir, Split::Train);
  auto test = read_cifar10(dir, Split::Test);
  EXPECT_EQ(train.size(), 50000);
  EXPECT_EQ(test.size(), 10000);
  auto train_counts = torch::bincount(train.labels, {}, 10);
  auto test_counts = torch::bincount(test.labels, {}, 10);
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(train_counts[c].item<int64_t>(), 5000) << "class " << c;
    EXPECT_EQ(test_counts[c].item<int64_t>(), 1000) << "class " << c;
  }
  EXPECT_EQ(train.class_names.at(7), "horse");
}

TEST(Cifar10Full, FirstPixelsMatchPublishedValues) {
  TINT_SKIP_WITHOUT_FULL_CIFAR10(dir);
  // Values from shared/data/README.md (read off the official files).
  auto train = read_cifar10_file(dir / "data_batch_1.bin", kRecordsPerBatch);
  auto test = read_cifar10_file(dir / "test_batch.bin", kRecordsPerBatch);
  auto px = [](const Cifar10& d, int ch) { return d.images[0][ch][0][0].item<int>(); };
  EXPECT_EQ(px(train, 0), 59);
  EXPECT_EQ(px(train, 1), 62);
  EXPECT_EQ(px(train, 2), 63);
  EXPECT_EQ(px(test, 0), 158);
  EXPECT_EQ(px(test, 1), 112);
  EXPECT_EQ(px(test, 2), 49);
}

TEST(Cifar10Full, CategoryFilterKeepsOrderAndOnlyThatClass) {
  TINT_SKIP_WITHOUT_FULL_CIFAR10(dir);
  auto horses = read_cifar10(dir, Split::Test, 7);
  ASSERT_EQ(horses.size(), 1000);
  EXPECT_TRUE((horses.labels == 7).all().item<bool>());
  auto all = read_cifar10(dir, Split::Test);
  auto idx = (all.labels == 7).nonzero().squeeze(1);
  EXPECT_TRUE(all.images.index_select(0, idx).equal(horses.images));
}

TEST(Cifar10Full, EmbeddedHorsesAreByteIdenticalToTheFullSetRecords) {
  TINT_SKIP_WITHOUT_FULL_CIFAR10(dir);
  // Independent of the reader: select label-7 records from the raw bytes.
  auto select = [](const std::vector<fs::path>& files) {
    std::string out;
    for (const auto& f : files) {
      std::string bytes = slurp(f);
      for (size_t i = 0; i + kRecordBytes <= bytes.size(); i += kRecordBytes) {
        if (bytes[i] == 7) out.append(bytes, i, kRecordBytes);
      }
    }
    return out;
  };
  std::vector<fs::path> train_files;
  for (int i = 1; i <= 5; ++i) train_files.push_back(dir / ("data_batch_" + std::to_string(i) + ".bin"));
  const auto embedded = test::embedded_data_dir();
  EXPECT_TRUE(select(train_files) == slurp(embedded / "train.bin"));
  EXPECT_TRUE(select({dir / "test_batch.bin"}) == slurp(embedded / "test.bin"));
  EXPECT_EQ(slurp(dir / "batches.meta.txt"), slurp(embedded / "batches.meta.txt"));
}

TEST(Cifar10Embedded, HorsesLoadWithExpectedCounts) {
  const auto dir = test::embedded_data_dir();
  auto train = read_cifar10(dir, Split::Train, 7);
  auto test = read_cifar10(dir, Split::Test, category_index("horse", read_class_names(dir)));
  EXPECT_EQ(train.size(), 5000);
  EXPECT_EQ(test.size(), 1000);
  EXPECT_EQ(train.images.sizes(), (std::vector<int64_t>{5000, 3, 32, 32}));
}

TEST(Cifar10Reader, DecodesPlanesAsRGB) {
  TempDir tmp;
  std::string r = record(3, 0);
  r[1] = 10;                // R plane, pixel (0, 0)
  r[1 + 1024 + 33] = 20;    // G plane, pixel (1, 1)
  r[1 + 2048 + 1023] = 30;  // B plane, pixel (31, 31)
  test::write_bytes(tmp / "one.bin", r);
  auto d = read_cifar10_file(tmp / "one.bin");
  ASSERT_EQ(d.size(), 1);
  EXPECT_EQ(d.labels[0].item<int64_t>(), 3);
  EXPECT_EQ(d.images[0][0][0][0].item<int>(), 10);
  EXPECT_EQ(d.images[0][1][1][1].item<int>(), 20);
  EXPECT_EQ(d.images[0][2][31][31].item<int>(), 30);
  EXPECT_EQ(d.images.sum().item<int64_t>(), 60);
}

TEST(Cifar10Reader, RejectsTruncatedRecord) {
  TempDir tmp;
  test::write_bytes(tmp / "t.bin", record(1) + record(2).substr(0, 100));
  auto msg = error_of([&] { read_cifar10_file(tmp / "t.bin"); });
  EXPECT_NE(msg.find("t.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated record"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 bytes left over"), std::string::npos) << msg;
}

TEST(Cifar10Reader, RejectsWrongLengthOfAnOfficialBatch) {
  TempDir tmp;
  write_meta(tmp.path());
  for (int i = 1; i <= 5; ++i)
    test::write_bytes(tmp / ("data_batch_" + std::to_string(i) + ".bin"), record(1) + record(2));
  test::write_bytes(tmp / "test_batch.bin", record(1));
  auto msg = error_of([&] { read_cifar10(tmp.path(), Split::Train); });
  EXPECT_NE(msg.find("data_batch_1.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wrong length"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 30730000 bytes"), std::string::npos) << msg;
}

TEST(Cifar10Reader, RejectsLabelOutOfRange) {
  TempDir tmp;
  test::write_bytes(tmp / "l.bin", record(9) + record(10));
  auto msg = error_of([&] { read_cifar10_file(tmp / "l.bin"); });
  EXPECT_NE(msg.find("l.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("label 10"), std::string::npos) << msg;
}

TEST(Cifar10Reader, RejectsMissingFile) {
  TempDir tmp;
  write_meta(tmp.path());
  test::write_bytes(tmp / "train.bin", record(7));
  auto msg = error_of([&] { read_cifar10(tmp.path(), Split::Test); });
  EXPECT_NE(msg.find("test.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing file"), std::string::npos) << msg;
  msg = error_of([&] { read_cifar10_file(tmp / "nope.bin"); });
  EXPECT_NE(msg.find("nope.bin: no such file"), std::string::npos) << msg;
}

TEST(Cifar10Reader, RejectsDirectoryWithoutCifarFilesAndBadMeta) {
  TempDir tmp;
  auto msg = error_of([&] { read_cifar10(tmp.path(), Split::Train); });
  EXPECT_NE(msg.find("holds no CIFAR-10 binary files"), std::string::npos) << msg;
  test::write_bytes(tmp / "train.bin", record(7));
  test::write_bytes(tmp / "test.bin", record(7));
  msg = error_of([&] { read_cifar10(tmp.path(), Split::Train); });
  EXPECT_NE(msg.find("batches.meta.txt: no such file"), std::string::npos) << msg;
  test::write_bytes(tmp / "batches.meta.txt", "a\nb\n");
  msg = error_of([&] { read_cifar10(tmp.path(), Split::Train); });
  EXPECT_NE(msg.find("expected 10 class names, found 2"), std::string::npos) << msg;
  msg = error_of([&] { read_cifar10(tmp / "absent", Split::Train); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

TEST(Cifar10Reader, CategoryByNameOrIndex) {
  const std::vector<std::string> names{"airplane", "automobile", "bird",  "cat",  "deer",
                                       "dog",      "frog",       "horse", "ship", "truck"};
  EXPECT_EQ(category_index("horse", names), 7);
  EXPECT_EQ(category_index("7", names), 7);
  EXPECT_EQ(category_index("0", names), 0);
  auto msg = error_of([&] { category_index("zebra", names); });
  EXPECT_NE(msg.find("unknown category 'zebra'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("horse"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { category_index("10", names); }), "<no error>");
  EXPECT_NE(error_of([&] { category_index("-1", names); }), "<no error>");
}

}  // namespace
}  // namespace tint::data
