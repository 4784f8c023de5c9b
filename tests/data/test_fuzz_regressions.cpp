// Inputs the fuzz harnesses (fuzz/, scripts/fuzz.sh) found, kept as regression tests: each must now end in a
// tint::Error naming the file, where it used to reach undefined behaviour. The files are in fuzz/regressions/;
// docs/reliability.md says what each one did. Also the seed corpus: every valid seed must still be accepted.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/cifar10.h"
#include "tint/data/image_io.h"
#include "tint/train/config.h"

namespace tint {
namespace {
namespace fs = std::filesystem;

fs::path regression(const std::string& name) { return test::source_dir() / "fuzz" / "regressions" / name; }
fs::path seed(const std::string& harness, const std::string& name) {
  return test::source_dir() / "fuzz" / "corpus" / harness / name;
}

void expect_error_containing(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "accepted; expected an error containing '" << text << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

// The image inputs below once reached undefined behaviour in stb_image 2.27 (Debian 12's libstb), tint's decoder
// until libjpeg-turbo and libpng replaced it; docs/reliability.md says what each did. Each is now refused by the
// decoder itself, with its reason, under the file's name.

// stb wrote past its Huffman arrays (UBSan: index 257 out of bounds for type 'stbi_uc[257]').
TEST(FuzzRegressions, JpegHuffmanTableWithMoreThan256Codes) {
  expect_error_containing([] { data::read_image(regression("jpeg_huffman_257.jpg")); },
                          regression("jpeg_huffman_257.jpg").string() +
                              ": cannot decode JPEG: Bogus Huffman table definition");
  // The same fault behind fill bytes before the start-of-image marker: a JPEG must start with FF D8 FF.
  expect_error_containing([] { data::read_image(regression("jpeg_huffman_fill_before_soi.jpg")); },
                          "jpeg_huffman_fill_before_soi.jpg: not a JPEG, PNG or WebP file");
}

// stb decoded a scan with a Huffman table no DHT segment had defined, reading the uninitialized table (UBSan: index
// 16777645 out of bounds for type 'stbi_uc[256]'). The file's second component names DC table 3.
TEST(FuzzRegressions, JpegScanWithAnUndefinedHuffmanTable) {
  expect_error_containing([] { data::read_image(regression("jpeg_undefined_huffman_table.jpg")); },
                          "jpeg_undefined_huffman_table.jpg: cannot decode JPEG: Huffman table 0x03 was not defined");
  // A progressive JPEG (cjpeg -progressive) names tables its scans do not use. It decodes.
  const auto progressive = data::read_image(seed("image", "progressive.jpg"));
  EXPECT_EQ(progressive.sizes(), (std::vector<int64_t>{3, 16, 24}));
}

// stb's PNM header parser overflowed a signed int on "P5\n3333333333...". tint reads JPEG, PNG and WebP only.
TEST(FuzzRegressions, OtherFormatsAreRefusedBySignature) {
  expect_error_containing([] { data::read_image(regression("pnm_overflow.pgm")); },
                          "pnm_overflow.pgm: not a JPEG, PNG or WebP file");
  expect_error_containing([] { data::decode_image("GIF89a\x01\x00\x01\x00", "x.gif"); },
                          "x.gif: not a JPEG, PNG or WebP file");
}

// stb multiplied a corrupt JPEG's DC coefficient by its quantization value past INT_MAX (UBSan: signed integer
// overflow). The file uses a quantization table it never defines.
TEST(FuzzRegressions, JpegWithOverflowingDcCoefficient) {
  expect_error_containing([] { data::read_image(regression("jpeg_dc_overflow.jpg")); },
                          "jpeg_dc_overflow.jpg: cannot decode JPEG: Quantization table 0x00 was not defined");
}

// stb computed null + 0 on an empty IDAT chunk before any image data (UBSan). Empty IDAT chunks are legal and hold
// nothing: such a PNG decodes as without them.
TEST(FuzzRegressions, PngWithEmptyIdatChunksDecodesAsWithoutThem) {
  const std::string png = read_file(seed("image", "rgb_8x8.png"));
  const size_t idat = png.find("IDAT") - 4;  // the first IDAT chunk starts with its 4-byte length
  const std::string empty_chunk("\0\0\0\0IDAT\x35\xaf\x06\x1e", 12);  // length 0, type, CRC-32 of "IDAT"
  const std::string with_empty = png.substr(0, idat) + empty_chunk + empty_chunk + png.substr(idat);
  auto expected = data::decode_image(png, "rgb_8x8.png");
  auto got = data::decode_image(with_empty, "with_empty.png");
  EXPECT_TRUE(got.equal(expected));
  // The input the fuzzer found: its header's checksum is wrong, which libpng checks first.
  expect_error_containing([] { data::read_image(regression("png_empty_idat.png")); },
                          "png_empty_idat.png: cannot decode PNG: IHDR: CRC error");
}

TEST(FuzzRegressions, ImageSeedsStillDecode) {
  for (const char* name : {"grey_4x4.png", "rgb_8x8.png", "rgba_2x2.png", "python.jpg", "progressive.jpg"}) {
    SCOPED_TRACE(name);
    auto image = data::read_image(seed("image", name));
    EXPECT_EQ(image.dim(), 3);
  }
  EXPECT_EQ(data::read_image(seed("image", "grey_4x4.png")).size(0), 1);
  // BMP, which stb read, is no longer a format tint reads; the seed stays, for the refusal path.
  expect_error_containing([] { data::read_image(seed("image", "rgb_2x2.bmp")); },
                          "rgb_2x2.bmp: not a JPEG, PNG or WebP file");
}

// nlohmann's get<int>() on 2.2e81 (a float) is a float-to-int overflow: undefined behaviour.
TEST(FuzzRegressions, ConfigIntegersMustBeIntegersInRange) {
  auto json = nlohmann::json::parse(read_file(regression("config_float_num_filters.json")));
  expect_error_containing([&] { train::config_from_json(json, "c.json"); },
                          "c.json: 'num_filters' must be an integer in -2147483648..2147483647, got 2.2");
  for (const char* text : {R"({"batch_size": 2.5})", R"({"epochs": 1e10})", R"({"train_limit": 1.0})"}) {
    SCOPED_TRACE(text);
    expect_error_containing([&] { train::config_from_json(nlohmann::json::parse(text), "c.json"); },
                            "must be an integer");
  }
  expect_error_containing([] { train::config_from_json(nlohmann::json::parse(R"({"seed": -1})"), "c.json"); },
                          "'seed' must be an integer in 0..18446744073709551615, got -1");
  expect_error_containing(
      [] { train::config_from_json(nlohmann::json::parse(R"({"kernel": 4294967296})"), "c.json"); },
      "'kernel' must be an integer");
  // Integers in range still read, and a learning rate may be written as an integer.
  auto c = train::config_from_json(nlohmann::json::parse(R"({"epochs": 3, "seed": 7, "learning_rate": 1})"), "c.json");
  EXPECT_EQ(c.epochs, 3);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.learning_rate, 1.0);
}

// {"num_filters": 2000000000} made validation build a model with 72 GB of weights (ASan: allocator out of memory).
TEST(FuzzRegressions, ConfigWithAHugeNetworkIsRefusedBeforeBuildingIt) {
  expect_error_containing(
      [] {
        train::config_from_json(nlohmann::json::parse(read_file(regression("config_huge_num_filters.json"))), "c.json");
      },
      "c.json: --num-filters must be in 1..4096, got 2000000000");
  for (const char* text : {R"({"num_filters": 4097})", R"({"num_in_channels": 100000})"}) {
    SCOPED_TRACE(text);
    expect_error_containing([&] { train::config_from_json(nlohmann::json::parse(text), "c.json"); }, "must be in 1..");
  }
}

TEST(FuzzRegressions, CifarSeedsAndTheInMemoryReader) {
  auto one = data::parse_cifar10(read_file(seed("cifar10", "one_record.bin")), "one.bin");
  EXPECT_EQ(one.size(), 1);
  EXPECT_EQ(data::parse_cifar10(read_file(seed("cifar10", "two_records.bin")), "two.bin").size(), 2);
  EXPECT_TRUE(one.images.equal(data::read_cifar10_file(seed("cifar10", "one_record.bin")).images));
  expect_error_containing([] { data::parse_cifar10(read_file(seed("cifar10", "truncated.bin")), "t.bin"); },
                          "t.bin: truncated record");
  expect_error_containing([] { data::parse_cifar10(read_file(seed("cifar10", "label_out_of_range.bin")), "l.bin"); },
                          "l.bin: record 0 (byte offset 0) has label 10");
}

}  // namespace
}  // namespace tint
