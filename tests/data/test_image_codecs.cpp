// What photos contain, against Pillow as the independent reader: tests/data/images/ holds inputs Pillow wrote and,
// beside each, the pixels Pillow (or the formula in scripts/make_image_fixtures.py) says it shows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/tensor_checks.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"

namespace tint::data {
namespace {
namespace fs = std::filesystem;

fs::path fixture(const std::string& name) { return test::source_dir() / "tests" / "data" / "images" / name; }

void expect_reads_as(const std::string& input, const std::string& expected, double tolerance = 0) {
  SCOPED_TRACE(input);
  const auto got = read_image(fixture(input));
  const auto want = read_image(fixture(expected));
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LE(test::max_error(got, want), tolerance);
}

// Every EXIF orientation: the photo comes out as Pillow's exif_transpose shows it, at the upright picture's size
// (orientations 5-8 store it turned, so their stored height and width are swapped).
TEST(ImageCodecs, EveryExifOrientationComesOutUpright) {
  const auto upright = read_image(fixture("upright.png"));
  ASSERT_EQ(upright.sizes(), (std::vector<int64_t>{3, 16, 24}));
  for (int o = 1; o <= 8; ++o) {
    const std::string name = "orientation_" + std::to_string(o) + ".jpg";
    expect_reads_as(name, "orientation_" + std::to_string(o) + "_expected.png");
    // And close to the upright original itself (only JPEG's loss apart), so a wrong turn cannot pass.
    const auto got = read_image(fixture(name));
    ASSERT_EQ(got.sizes(), upright.sizes()) << name;
    EXPECT_LT((got.to(torch::kFloat) - upright.to(torch::kFloat)).abs().mean().item<double>(), 4.0) << name;
  }
}

TEST(ImageCodecs, OrientationsAreTheEightSymmetriesOfTheRectangle) {
  auto x = torch::arange(6, torch::kUInt8).view({1, 2, 3});  // [[0 1 2] [3 4 5]]
  auto shown = [&](int o) { return apply_exif_orientation(x, o).flatten(); };
  auto t = [](std::vector<int64_t> v) { return torch::tensor(v).to(torch::kUInt8); };
  EXPECT_TRUE(shown(1).equal(t({0, 1, 2, 3, 4, 5})));
  EXPECT_TRUE(shown(2).equal(t({2, 1, 0, 5, 4, 3})));
  EXPECT_TRUE(shown(3).equal(t({5, 4, 3, 2, 1, 0})));
  EXPECT_TRUE(shown(4).equal(t({3, 4, 5, 0, 1, 2})));
  EXPECT_TRUE(shown(5).equal(t({0, 3, 1, 4, 2, 5})));  // transposed: 3 x 2
  EXPECT_TRUE(shown(6).equal(t({3, 0, 4, 1, 5, 2})));  // turned clockwise
  EXPECT_TRUE(shown(7).equal(t({5, 2, 4, 1, 3, 0})));
  EXPECT_TRUE(shown(8).equal(t({2, 5, 1, 4, 0, 3})));  // turned counter-clockwise
  EXPECT_EQ(apply_exif_orientation(x, 6).sizes(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_THROW(apply_exif_orientation(x, 9), Error);
}

TEST(ImageCodecs, JpegKindsMatchPillow) {
  expect_reads_as("progressive.jpg", "progressive_expected.png");
  expect_reads_as("grey.jpg", "grey_jpg_expected.png");
  EXPECT_EQ(read_image(fixture("grey.jpg")).size(0), 1);
  // CMYK (Adobe, inks stored inverted): R = (1 - C)(1 - K) on the inks Pillow decodes, rounded.
  expect_reads_as("cmyk.jpg", "cmyk_expected.png", /*tolerance=*/1);
}

TEST(ImageCodecs, PngKinds) {
  expect_reads_as("rgb16.png", "upright.png");  // 16-bit v * 257 reads as v
  expect_reads_as("grey16.png", "grey_expected.png");
  EXPECT_EQ(read_image(fixture("grey16.png")).size(0), 1);
  expect_reads_as("palette.png", "palette_expected.png");
  expect_reads_as("rgba.png", "rgba_expected.png", /*tolerance=*/1);  // composited onto white
  expect_reads_as("grey_alpha.png", "grey_alpha_expected.png", /*tolerance=*/1);
  EXPECT_EQ(read_image(fixture("grey_alpha.png")).size(0), 1);
}

TEST(ImageCodecs, WebP) {
  expect_reads_as("lossless.webp", "upright.png");
  expect_reads_as("alpha.webp", "rgba_expected.png", /*tolerance=*/1);
}

TEST(ImageCodecs, DecompressionBombsAreRefusedBeforeDecoding) {
  EXPECT_EQ(test::error_of([] { read_image(fixture("bomb.png")); }),
            fixture("bomb.png").string() +
                ": image is 100000 x 100000 = 10000000000 pixels, more than the limit of 268435456 (--max-pixels "
                "raises it)");
  EXPECT_EQ(test::error_of([] { read_image(fixture("bomb.jpg")); }),
            fixture("bomb.jpg").string() +
                ": image is 65500 x 65500 = 4290250000 pixels, more than the limit of 268435456 (--max-pixels "
                "raises it)");
  // The limit is the caller's: the 24 x 16 picture is refused under 384 pixels and read at exactly 384.
  ReadOptions tight;
  tight.max_pixels = 383;
  EXPECT_NE(test::error_of([&] { read_image(fixture("upright.png"), tight); }).find("more than the limit of 383"),
            std::string::npos);
  tight.max_pixels = 384;
  EXPECT_EQ(read_image(fixture("upright.png"), tight).size(2), 24);
}

TEST(ImageCodecs, TruncatedAndCorruptFilesAreRefusedNamingThem) {
  const std::string jpeg = read_file(fixture("progressive.jpg"));
  const std::string png = read_file(fixture("upright.png"));
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"cut.jpg", jpeg.substr(0, jpeg.size() / 2)},
           {"cut.png", png.substr(0, png.size() - 20)},
           {"header.jpg", jpeg.substr(0, 40)},
           {"flipped.png", png.substr(0, 60) + std::string(1, char(png[60] ^ 0x55)) + png.substr(61)}}) {
    const auto message = test::error_of([&, b = bytes, n = name] { decode_image(b, n); });
    EXPECT_EQ(message.rfind(name + ": ", 0), 0u) << message;
  }
  EXPECT_EQ(test::error_of([] { decode_image("BM\x3a\0\0\0", "old.bmp"); }),
            "old.bmp: not a JPEG, PNG or WebP file (the image formats tint reads)");
}

TEST(ImageCodecs, JpegWriterRoundTripsWithinItsQuality) {
  const auto upright = read_image(fixture("upright.png"));
  WriteOptions high, low;
  high.jpeg_quality = 98;
  low.jpeg_quality = 20;
  const auto sharp = decode_image(encode_jpeg(upright, high), "high.jpg");
  const auto rough = decode_image(encode_jpeg(upright, low), "low.jpg");
  ASSERT_EQ(sharp.sizes(), upright.sizes());
  const auto error = [&](const torch::Tensor& t) {
    return (t.to(torch::kFloat) - upright.to(torch::kFloat)).abs().mean().item<double>();
  };
  EXPECT_LT(error(sharp), 2.0);
  EXPECT_GT(error(rough), error(sharp));
  EXPECT_LT(encode_jpeg(upright, low).size(), encode_jpeg(upright, high).size());
  high.jpeg_quality = 0;
  EXPECT_EQ(test::error_of([&] { encode_jpeg(upright, high); }), "JPEG quality must be 1..100, got 0");
}

TEST(ImageCodecs, WriteImageChoosesTheFormatByExtension) {
  test::TempDir tmp;
  const auto upright = read_image(fixture("upright.png"));
  for (const char* name : {"a.jpg", "b.JPEG", "c.png", "d.out"}) {
    write_image(tmp / name, upright);
    const std::string bytes = read_file(tmp / name);
    const bool jpeg = bytes.rfind("\xFF\xD8\xFF", 0) == 0;
    EXPECT_EQ(jpeg, is_jpeg_name(name)) << name;
    EXPECT_EQ(read_image(tmp / name).sizes(), upright.sizes()) << name;
  }
  EXPECT_TRUE(read_image(tmp / "c.png").equal(upright));
}

}  // namespace
}  // namespace tint::data
