// Darknet .weights: the real Yolo-Fastest files read and written back byte for byte, values landing where darknet's
// load_convolutional_weights puts them (checked at offsets computed by hand from the cfg), both header versions, and
// a file of the wrong length refused naming the layer and the sizes.
#include <cstring>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/detect/darknet_weights.h"

namespace tint::detect {
namespace darknet_weights_test {
namespace {
namespace fs = std::filesystem;

float float_at(const std::string& bytes, int64_t offset) {
  float v = 0;
  std::memcpy(&v, bytes.data() + offset, 4);
  return v;
}

// A small network: a convolution with batchnorm (3 -> 4, 3x3: 4 biases, 4 scales, 4 means, 4 variances, 108
// weights) and a head without (4 -> 6, 1x1: 6 biases, 24 weights). 154 floats.
const char* kTinyCfg =
    "[net]\nwidth=4\nheight=4\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\npad=1\nactivation=leaky\n"
    "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
    "[yolo]\nmask=0\nanchors=2,2\nclasses=1\nnum=1\n";

std::string tiny_file(int32_t major, int32_t minor, uint64_t seen) {
  std::string bytes;
  const int32_t revision = 7;
  bytes.append(reinterpret_cast<const char*>(&major), 4);
  bytes.append(reinterpret_cast<const char*>(&minor), 4);
  bytes.append(reinterpret_cast<const char*>(&revision), 4);
  if (major * 10 + minor >= 2) {
    bytes.append(reinterpret_cast<const char*>(&seen), 8);
  } else {
    const auto seen32 = static_cast<uint32_t>(seen);
    bytes.append(reinterpret_cast<const char*>(&seen32), 4);
  }
  for (int k = 0; k < 154; ++k) {
    // Variances (floats 12..15) positive; everything else distinct.
    const float v = k >= 12 && k < 16 ? 0.5f + k : 0.01f * static_cast<float>(k) - 0.3f;
    bytes.append(reinterpret_cast<const char*>(&v), 4);
  }
  return bytes;
}

TEST(DarknetWeights, ValuesGoWhereDarknetPutsThem) {
  DarknetModel model(parse_cfg(kTinyCfg, "tiny.cfg"));
  const auto bytes = tiny_file(0, 2, 1234);
  const auto header = load_weights_from_bytes(*model, bytes, "tiny.weights");
  EXPECT_EQ(header.major, 0);
  EXPECT_EQ(header.minor, 2);
  EXPECT_EQ(header.revision, 7);
  EXPECT_EQ(header.seen, 1234u);
  const auto at = [&](int k) { return float_at(bytes, 20 + 4 * k); };
  const auto c0 = model->conv(0), c1 = model->conv(1);
  for (int f = 0; f < 4; ++f) {
    EXPECT_EQ(c0->bn->bias[f].item<float>(), at(f));        // biases first (the batchnorm's beta)
    EXPECT_EQ(c0->bn->weight[f].item<float>(), at(4 + f));  // scales
    EXPECT_EQ(c0->bn->running_mean[f].item<float>(), at(8 + f));
    EXPECT_EQ(c0->bn->running_var[f].item<float>(), at(12 + f));
  }
  // Weights (filters, channels, size, size) in row-major order: filter 2, channel 1, row 0, column 2.
  EXPECT_EQ(c0->conv->weight[2][1][0][2].item<float>(), at(16 + 2 * 27 + 1 * 9 + 0 * 3 + 2));
  EXPECT_EQ(c0->conv->weight[3][2][2][2].item<float>(), at(16 + 107));
  for (int f = 0; f < 6; ++f) EXPECT_EQ(c1->conv->bias[f].item<float>(), at(124 + f));
  EXPECT_EQ(c1->conv->weight[5][3][0][0].item<float>(), at(130 + 5 * 4 + 3));
  EXPECT_EQ(weights_file_size(*model, header), 20 + 4 * 154);
  EXPECT_EQ(encode_weights(*model, header), bytes);
}

TEST(DarknetWeights, BothHeaderVersionsReadAndWriteBack) {
  DarknetModel model(parse_cfg(kTinyCfg, "tiny.cfg"));
  // Version 0.1: `seen` in 32 bits, a 16-byte header.
  const auto old_file = tiny_file(0, 1, 4000000000u);
  auto header = load_weights_from_bytes(*model, old_file, "old.weights");
  EXPECT_FALSE(header.has_64bit_seen());
  EXPECT_EQ(header.seen, 4000000000u);
  EXPECT_EQ(header.size_bytes(), 16);
  EXPECT_EQ(old_file.size(), 16u + 4 * 154);
  EXPECT_EQ(encode_weights(*model, header), old_file);
  EXPECT_EQ(float_at(old_file, 16), model->conv(0)->bn->bias[0].item<float>());
  // Version 1.0 (10 >= 2): 64-bit.
  const auto new_file = tiny_file(1, 0, (uint64_t{1} << 40) + 5);
  header = load_weights_from_bytes(*model, new_file, "new.weights");
  EXPECT_TRUE(header.has_64bit_seen());
  EXPECT_EQ(header.seen, (uint64_t{1} << 40) + 5);
  EXPECT_EQ(encode_weights(*model, header), new_file);
  // A count that 32 bits cannot hold is not silently cut.
  header = WeightsHeader{0, 1, 0, uint64_t{1} << 33};
  const auto e = test::error_of([&] { encode_weights(*model, header); });
  EXPECT_NE(e.find("32 bits"), std::string::npos) << e;
}

// Reads `cfg` and `weights`, writes them back from a channels-last model: the same bytes.
void expect_round_trip(const fs::path& cfg, const fs::path& weights) {
  test::TempDir tmp;
  DarknetModel model = build_darknet_model(cfg);
  const auto header = load_weights(*model, weights);
  EXPECT_EQ(header.major, 0);
  EXPECT_EQ(header.minor, 2);
  EXPECT_EQ(header.revision, 5);
  // Channels-last parameters (after a forward) are written in darknet's order all the same.
  {
    torch::NoGradGuard no_grad;
    model->eval();
    model->forward(torch::rand({1, 3, 64, 64}));
  }
  ASSERT_FALSE(model->conv(0)->conv->weight.is_contiguous());
  save_weights(*model, tmp / "out.weights", header);
  const auto original = read_file(weights);
  const auto written = read_file(tmp / "out.weights");
  EXPECT_EQ(written.size(), original.size());
  EXPECT_TRUE(written == original);
  // The first layer's first bias and the last layer's last weight, at their offsets in the file.
  EXPECT_EQ(model->conv(0)->bn->bias[0].item<float>(), float_at(original, 20));
  EXPECT_EQ(model->conv(129)->conv->weight.flatten()[-1].item<float>(),
            float_at(original, static_cast<int64_t>(original.size()) - 4));
}

// The embedded Yolo-Fastest 1.1, which every clone has.
TEST(DarknetWeights, TheRealFilesRoundTripByteForByte) {
  const auto dir = test::embedded_yolo_fastest_dir();
  expect_round_trip(dir / "yolo-fastest-1.1.cfg", dir / "yolo-fastest-1.1.weights");
}

TEST(DarknetWeights, TheXlFilesRoundTripByteForByteAndDoNotFitTheSmallModel) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "yolo-fastest-1.1/yolo-fastest-1.1-xl.cfg",
                                   "yolo-fastest-1.1/yolo-fastest-1.1-xl.weights");
  const auto xl = data / "yolo-fastest-1.1";
  expect_round_trip(xl / "yolo-fastest-1.1-xl.cfg", xl / "yolo-fastest-1.1-xl.weights");
  DarknetModel model = build_darknet_model(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
  const auto e = test::error_of([&] { load_weights(*model, xl / "yolo-fastest-1.1-xl.weights"); });
  EXPECT_NE(e.find("yolo-fastest-1.1-xl.weights: 2309696 bytes are left over after the last layer with weights "
                   "(layer 129)"),
            std::string::npos)
      << e;  // 4 x (923,486 - 346,062) bytes
}

TEST(DarknetWeights, AFileOfTheWrongLengthNamesTheLayerAndTheSizes) {
  const auto dir = test::embedded_yolo_fastest_dir();
  DarknetModel model = build_darknet_model(dir / "yolo-fastest-1.1.cfg");
  const auto original = read_file(dir / "yolo-fastest-1.1.weights");
  const auto before = model->conv(0)->conv->weight.clone();
  const std::string expected = std::to_string(original.size());
  // Short by one float: it ends inside the last convolution's weights.
  auto e = test::error_of([&] {
    load_weights_from_bytes(*model, std::string_view(original).substr(0, original.size() - 4), "short.weights");
  });
  EXPECT_EQ(e, "short.weights: the file ends inside layer 129 [convolutional] (its weights): expected " + expected +
                   " bytes for " + (dir / "yolo-fastest-1.1.cfg").string() + ", the file has " +
                   std::to_string(original.size() - 4));
  // Cut after 100 bytes: inside layer 0 (8 biases, 8 scales, 8 means, then variances from byte 116).
  e = test::error_of(
      [&] { load_weights_from_bytes(*model, std::string_view(original).substr(0, 100), "cut.weights"); });
  EXPECT_NE(e.find("cut.weights: the file ends inside layer 0 [convolutional] (its rolling mean): expected " +
                   expected + " bytes"),
            std::string::npos)
      << e;
  // Bytes left over.
  e = test::error_of([&] { load_weights_from_bytes(*model, original + "abcdefgh", "long.weights"); });
  EXPECT_EQ(e, "long.weights: 8 bytes are left over after the last layer with weights (layer 129): expected " +
                   expected + " bytes for " + (dir / "yolo-fastest-1.1.cfg").string() + ", the file has " +
                   std::to_string(original.size() + 8));
  e = test::error_of([&] { load_weights_from_bytes(*model, "abc", "tiny.weights"); });
  EXPECT_EQ(e, "tiny.weights: 3 bytes: too short for a darknet weights header (major, minor, revision, seen)");
  e = test::error_of([&] { load_weights_from_bytes(*model, std::string_view(original).substr(0, 18), "h.weights"); });
  EXPECT_EQ(e, "h.weights: 18 bytes: too short for the 20-byte header of version 0.2");
  e = test::error_of([&] { load_weights(*model, dir / "no-such.weights"); });
  EXPECT_NE(e.find("no-such.weights"), std::string::npos) << e;
  // Nothing was loaded by any of these.
  EXPECT_TRUE(model->conv(0)->conv->weight.equal(before));
}

TEST(DarknetWeights, NonFiniteValuesAndNegativeVariancesAreRefused) {
  DarknetModel model(parse_cfg(kTinyCfg, "tiny.cfg"));
  auto bytes = tiny_file(0, 2, 0);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + 20 + 4 * 130, &nan, 4);  // a head weight
  auto e = test::error_of([&] { load_weights_from_bytes(*model, bytes, "nan.weights"); });
  EXPECT_EQ(e, "nan.weights: layer 1 [convolutional]: its weights hold a NaN or an infinite value (at byte 540)");
  bytes = tiny_file(0, 2, 0);
  const float negative = -1;
  std::memcpy(bytes.data() + 20 + 4 * 13, &negative, 4);
  e = test::error_of([&] { load_weights_from_bytes(*model, bytes, "var.weights"); });
  EXPECT_EQ(e, "var.weights: layer 0 [convolutional]: its rolling variance has a negative value (at byte 68)");
}

TEST(DarknetWeights, SavingIntoAMissingFolderIsAnErrorNamingIt) {
  DarknetModel model(parse_cfg(kTinyCfg, "tiny.cfg"));
  test::TempDir tmp;
  const auto e = test::error_of([&] { save_weights(*model, tmp / "missing" / "out.weights", WeightsHeader{}); });
  EXPECT_NE(e.find("out.weights"), std::string::npos) << e;
  save_weights(*model, tmp / "out.weights", WeightsHeader{});
  EXPECT_EQ(fs::file_size(tmp / "out.weights"), 20u + 4 * 154);
}

TEST(DarknetWeights, AModelWithNewClassesWritesAFileItsCfgReadsBack) {
  const auto dir = test::embedded_yolo_fastest_dir();
  DarknetModel model = build_darknet_model(dir / "yolo-fastest-1.1.cfg");
  const auto header = load_weights(*model, dir / "yolo-fastest-1.1.weights");
  model->set_num_classes(1);
  test::TempDir tmp;
  write_cfg(tmp / "raccoon.cfg", model->cfg());
  save_weights(*model, tmp / "raccoon.weights", header);
  // Two heads of 96 -> 18 and 120 -> 18 filters replace 96 -> 255 and 120 -> 255: (255 - 18) * (96 + 120 + 2) floats
  // fewer.
  EXPECT_EQ(fs::file_size(tmp / "raccoon.weights"),
            read_file(dir / "yolo-fastest-1.1.weights").size() - 4u * (255 - 18) * (96 + 120 + 2));
  DarknetModel again = build_darknet_model(tmp / "raccoon.cfg");
  load_weights(*again, tmp / "raccoon.weights");
  torch::NoGradGuard no_grad;
  model->eval();
  again->eval();
  const auto x = torch::rand({1, 3, 320, 320});
  const auto a = model->forward(x), b = again->forward(x);
  EXPECT_TRUE(a[0].equal(b[0]));
  EXPECT_TRUE(a[1].equal(b[1]));
}

}  // namespace

// Found by fuzz/fuzz_darknet.cpp: major * 10 + minor overflowed int for a header's large numbers (undefined
// behaviour); darknet's rule, computed in 64 bits, also wants both below 1000 for a 64-bit `seen`.
TEST(DarknetWeights, HugeVersionNumbersDecideTheSeenWidthWithoutOverflow) {
  EXPECT_TRUE((WeightsHeader{0, 2, 5, 0}.has_64bit_seen()));
  EXPECT_FALSE((WeightsHeader{0, 1, 0, 0}.has_64bit_seen()));
  EXPECT_TRUE((WeightsHeader{999, 999, 0, 0}.has_64bit_seen()));
  EXPECT_FALSE((WeightsHeader{300000000, 0, 0, 0}.has_64bit_seen()));
  EXPECT_FALSE((WeightsHeader{2147483647, 2147483647, 0, 0}.has_64bit_seen()));
  EXPECT_EQ((WeightsHeader{2147483647, 0, 0, 0}.size_bytes()), 16);
}

}  // namespace darknet_weights_test
}  // namespace tint::detect
