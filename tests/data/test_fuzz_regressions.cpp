// Inputs the fuzz harnesses (fuzz/, scripts/fuzz.sh) found, kept as regression tests: each test asserts the input's
// outcome now (the exact error, naming the file, or what it reads as), where it used to reach undefined behaviour or
// a wrong result. The files are in fuzz/regressions/ (every one has a test here: the last test checks);
// docs/reliability.md says what each one did. Also the seed corpus: every valid seed must still be accepted.
#include <cstring>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/checkpoint_archive.h"
#include "tint/core/error.h"
#include "tint/data/ab_bins.h"
#include "tint/data/cifar10.h"
#include "tint/data/coco_json.h"
#include "tint/data/image_io.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"
#include "tint/detect/darknet_weights.h"
#include "tint/models/model_table.h"
#include "tint/report/table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/run_dir.h"
#include "tint/train/trainer.h"
#include "tint/video/video_reader.h"

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
  expect_error_containing(
      [] { data::read_image(regression("jpeg_huffman_257.jpg")); },
      regression("jpeg_huffman_257.jpg").string() + ": cannot decode JPEG: Bogus Huffman table definition");
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
  expect_error_containing([] { train::config_from_json(nlohmann::json::parse(R"({"kernel": 4294967296})"), "c.json"); },
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

// The darknet inputs are the harness's own: the first byte picks the reader (even: a .cfg, odd: a .weights file for
// the fixed cfg of fuzz/corpus/darknet/fixed.cfg), the rest is the file.
std::string darknet_file(const std::string& name) { return read_file(regression(name)).substr(1); }

// `width=32<NUL>junk` was read as 32 (the NUL ended the number) and the junk written back: the whole value must be
// the number. (The message holds the value as it is, NUL included, so what() ends at the NUL.)
TEST(FuzzRegressions, DarknetCfgWithANulInsideANumber) {
  const auto cfg = detect::parse_cfg(darknet_file("darknet_cfg_nul_in_value.bin"), "nul.cfg");
  EXPECT_EQ(cfg.net().require_int("height"), 32);
  EXPECT_EQ(test::error_of([&] { detect::DarknetModel model(cfg); }),
            "nul.cfg:2: [net]: option 'width': expected an integer, got '32");
}

// Six 1x1 convolutions on 1048576 channels, each at most the per-layer bound of 2^28 weights, added up to 5 GiB (out
// of memory): the whole network is bounded too, and the second layer, which passes it, is refused before it is
// allocated. (The first, exactly at the bound, is built: 1 GiB for about a second.)
TEST(FuzzRegressions, DarknetCfgWithGigabytesOfWeights) {
  const auto cfg = detect::parse_cfg(darknet_file("darknet_cfg_5gib_of_weights.bin"), "huge.cfg");
  EXPECT_EQ(test::error_of([&] { detect::DarknetModel model(cfg); }),
            "huge.cfg:8: layer 1 [convolutional]: the network reaches 536870912 weights here: expected at most "
            "268435456 in all");
}

// A weights header's major * 10 + minor overflowed int. Here major is 300000000: in 64 bits darknet's rule gives a
// 32-bit `seen` (a 64-bit one needs major and minor below 1000), so the file needs 16 + 736 bytes for the fixed
// network (184 floats), and its 20 end inside the first layer.
TEST(FuzzRegressions, DarknetWeightsWithAHugeVersion) {
  const std::string bytes = darknet_file("darknet_weights_version_overflow.bin");
  detect::WeightsHeader header;
  std::memcpy(&header.major, bytes.data(), 4);
  std::memcpy(&header.minor, bytes.data() + 4, 4);
  EXPECT_EQ(header.major, 300000000);
  EXPECT_EQ(header.minor, 0);
  EXPECT_FALSE(header.has_64bit_seen());
  detect::DarknetModel model(detect::parse_cfg(read_file(seed("darknet", "fixed.cfg")).substr(1), "fixed.cfg"));
  EXPECT_EQ(test::error_of([&] { detect::load_weights_from_bytes(*model, bytes, "v.weights"); }),
            "v.weights: the file ends inside layer 0 [convolutional] (its biases): expected 752 bytes for fixed.cfg, "
            "the file has 20");
}

// A checkpoint whose config names another network than its weights (here 4 filters, weights of 2) was loaded without
// a word: LibTorch's Module::load puts each saved tensor in place whatever its shape, and the network ran with the
// checkpoint's. Found by fuzz/fuzz_checkpoint.cpp (its seed fields_other_network.bin); this is the same as a file.
// Now refused before anything is loaded, naming the first tensor that differs.
TEST(FuzzRegressions, CheckpointOfAnotherNetworkIsRefused) {
  test::TempDir tmp;
  write_file_atomic(tmp / "checkpoint.pt", read_file(regression("checkpoint_of_another_network.pt")).substr(1));
  train::CheckpointReader reader(tmp / "checkpoint.pt");
  EXPECT_EQ(reader.meta().config.net.num_filters, 4);
  const std::string error = test::error_of([&] { train::load_model(reader); });
  EXPECT_EQ(error.rfind((tmp / "checkpoint.pt").string() + ": model weights do not match its config: '", 0), 0u)
      << error;
  EXPECT_NE(error.find("' is 2x1x1x1 Float in the checkpoint, 4x1x1x1 Float in the network"), std::string::npos)
      << error;
}

// A checkpoint with one byte of a compressed TorchScript entry changed (code/__torch__.py, the checkpoint's own type)
// crashed LibTorch 1.13's importer (SEGV in ScriptTypeParser::parseClassConstant; found by fuzz/fuzz_checkpoint.cpp).
// The code entries are now checked to be the type declarations a checkpoint holds before LibTorch reads them.
TEST(FuzzRegressions, CheckpointWithCorruptCodeIsRefusedBeforeLibTorchReadsIt) {
  test::TempDir tmp;
  write_file_atomic(tmp / "checkpoint.pt", read_file(regression("checkpoint_corrupt_code.pt")).substr(1));
  EXPECT_EQ(
      test::error_of([&] { train::CheckpointReader reader(tmp / "checkpoint.pt"); }),
      (tmp / "checkpoint.pt").string() + ": not a tint checkpoint (unexpected TorchScript code in code/__torch__.py)");
}

// A few changed bytes of data.pkl (a LONG_BINPUT of memo entry 1601071457) made LibTorch's unpickler size its memo
// for that index: 25 GB (ASan: allocator out of memory; found by fuzz/fuzz_checkpoint.cpp). Pickles are now walked
// before LibTorch reads them, and such an index refused.
TEST(FuzzRegressions, CheckpointWithAHugeMemoIndexIsRefusedBeforeLibTorchAllocates) {
  test::TempDir tmp;
  write_file_atomic(tmp / "checkpoint.pt", read_file(regression("checkpoint_memo_index_25gb.pt")).substr(1));
  EXPECT_EQ(test::error_of([&] { train::CheckpointReader reader(tmp / "checkpoint.pt"); }),
            (tmp / "checkpoint.pt").string() +
                ": not a tint checkpoint (corrupt data.pkl: opcode 0x72 at byte 6630 names memo entry 1601071457, "
                "past any the entry can hold)");
}

// A CSV cell holding a carriage return was written bare and read back as two rows (found by fuzz/fuzz_metrics_csv.cpp
// in a JPEG of this folder; this is the smallest such file). Quoted now: the table reads back as written.
TEST(FuzzRegressions, CsvCellWithACarriageReturn) {
  const auto rows = report::parse_csv(read_file(regression("csv_cell_with_carriage_return.csv")));
  ASSERT_EQ(rows, (std::vector<std::vector<std::string>>{{"text"}, {"a\rb"}}));
  report::Table table(rows[0]);
  table.add_text_row(rows[1]);
  EXPECT_EQ(report::parse_csv(table.to_csv()), rows);
}

// An epoch of 1e10 in metrics.csv was cast to int (UBSan: float-cast-overflow; found by fuzz/fuzz_metrics_csv.cpp).
// Epochs are whole numbers from 1 that fit an int (core/whole_number.h); tests/train/test_reader_bounds.cpp tries
// the other sides of that range.
TEST(FuzzRegressions, MetricsCsvWithAnEpochPastInt) {
  const fs::path file = regression("metrics_epoch_1e10.csv");
  EXPECT_EQ(test::error_of([&] { train::read_metrics_csv(file); }),
            file.string() + ":2: column 'epoch' holds '1e10', not an epoch number (1, 2, ...)");
}

// The checkpoint harness's odd inputs (first byte odd): the checkpoint's fields separated by NUL bytes (config,
// palette and history as JSON texts, then epoch, batches_done and partial_loss_sum), which the harness writes around
// the weights and Adam state of the network its config names. Written here as train/checkpoint.cpp does.
void write_checkpoint_of_fields(const std::string& input, const fs::path& path) {
  ASSERT_EQ(input.at(0) % 2, 1) << "not a fields input";
  std::vector<std::string> fields;
  std::string rest = input.substr(1);
  for (size_t start = 0;;) {
    const size_t end = rest.find('\0', start);
    fields.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  ASSERT_EQ(fields.size(), 6u);
  const auto config = train::config_from_json(nlohmann::json::parse(fields[0]), "fields");
  auto model = models::make_model(config.model, config.net);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(config.learning_rate));
  CheckpointWriter writer("tint-checkpoint", 1);
  writer.put("config", nlohmann::json::parse(fields[0]));
  writer.put("palette", nlohmann::json::parse(fields[1]));
  writer.put("history", nlohmann::json::parse(fields[2]));
  writer.put("epoch", int64_t{std::stoll(fields[3])});
  writer.put("batches_done", int64_t{std::stoll(fields[4])});
  writer.put("partial_loss_sum", std::stod(fields[5]));
  writer.put_state(*model, adam);
  writer.save(path);
}

// A checkpoint's history row with the epoch 1e300 was converted with nlohmann's get<int>() (UBSan:
// float-cast-overflow; found by fuzz/fuzz_checkpoint.cpp). History epochs are JSON integers from 1 that fit an int.
TEST(FuzzRegressions, CheckpointHistoryWithAnEpochPastInt) {
  test::TempDir tmp;
  const fs::path file = tmp / "checkpoint.pt";
  write_checkpoint_of_fields(read_file(regression("checkpoint_history_epoch_1e300.bin")), file);
  EXPECT_EQ(test::error_of([&] { train::CheckpointReader reader(file); }),
            file.string() +
                ": corrupt 'history' in checkpoint (history row 1 does not start with its epoch, an "
                "integer from 1 (it starts with 1e+300))");
}

// A number beyond double's range: nlohmann's parser throws out_of_range (406), not parse_error, which the COCO reader
// once let escape (fuzz_coco_json, a crash); now one error naming the file.
TEST(FuzzRegressions, CocoJsonWithANumberBeyondDouble) {
  expect_error_containing(
      [] { data::parse_coco_json(read_file(regression("coco_json_number_overflow.json")), "instances.json"); },
      "instances.json: not valid JSON: [json.exception.out_of_range.406] number overflow");
}

// A prior whose sum, added up in file order as the reader adds it, is 1 + 0.9999999993e-6: within the reader's 1e-6,
// so accepted. fuzz_ab_bins_json had checked the sum in LibTorch's order, a few ulps past 1 + 1e-6, and trapped on
// these valid bins (a fresh-Debian run's fuzz smoke found it); the harness now allows those ulps.
TEST(FuzzRegressions, AbBinsWhosePriorSumsToOneAtTheTolerance) {
  const auto json = nlohmann::json::parse(read_file(regression("ab_bins_prior_sum_at_tolerance.json")));
  const auto bins = data::AbBins::from_json(json, "ab_bins_prior_sum_at_tolerance.json");
  EXPECT_EQ(bins.size(), 244);
  double sum = 0.0;
  for (const auto& v : json.at("prior")) sum += v.get<double>();
  EXPECT_LE(std::abs(sum - 1.0), 1e-6);
  EXPECT_GT(std::abs(sum - 1.0), 0.999e-6);
}

// fuzz_video's seeds (fuzz/corpus/README.md): the clips read whole, at their size, and the truncated one is refused
// with one error naming the file.
TEST(FuzzRegressions, VideoSeedsStillRead) {
  struct Clip {
    const char* name;
    int64_t width, height, frames;
  };
  for (const Clip& clip : {Clip{"h264_5frames.mp4", 64, 48, 5}, Clip{"mpeg4_aac_5frames.mkv", 64, 48, 5},
                           Clip{"vp9_3frames.webm", 64, 48, 3}, Clip{"h264_48x64.mov", 48, 64, 3}}) {
    SCOPED_TRACE(clip.name);
    video::VideoReader reader(seed("video", clip.name));
    EXPECT_EQ(reader.info().width, clip.width);
    EXPECT_EQ(reader.info().height, clip.height);
    int64_t frames = 0;
    while (auto frame = reader.next()) {
      EXPECT_EQ(frame->image.sizes(), (std::vector<int64_t>{3, clip.height, clip.width}));
      ++frames;
    }
    EXPECT_EQ(frames, clip.frames);
  }
  const auto truncated = seed("video", "h264_truncated.mp4");
  expect_error_containing(
      [&] {
        video::VideoReader reader(truncated);
        while (reader.next()) {}
      },
      truncated.string() + ": ");
}

// An MPEG-4 stream whose header declares YUV matrix code 191, which FFmpeg passes on in AVFrame::colorspace unchecked;
// the reader loaded it as an AVColorSpace, undefined behaviour (fuzz_video, UBSan). Now read as an int: the first
// frame converts with sws's default matrix, and the damaged header after it is one error naming the file.
TEST(FuzzRegressions, VideoWithAnUnknownYuvMatrixCode) {
  const auto path = regression("video_matrix_code_191.bin");
  expect_error_containing(
      [&] {
        video::VideoReader reader(path);
        const auto first = reader.next();
        ASSERT_TRUE(first.has_value());
        EXPECT_EQ(first->image.sizes(), (std::vector<int64_t>{3, 48, 64}));
        while (reader.next()) {}
      },
      path.string() + ": corrupt video data at 0.100 s: Invalid data found when processing input (header damaged)");
}

// Every input kept in fuzz/regressions/ has a test in this file: its name appears here as a string literal (the
// tests read them by name; a missing file fails the test that names it). A file added without a test fails here.
TEST(FuzzRegressions, EveryRegressionInputIsTested) {
  const std::string source = read_file(test::source_dir() / "tests" / "data" / "test_fuzz_regressions.cpp");
  int inputs = 0;
  for (const auto& entry : fs::directory_iterator(test::source_dir() / "fuzz" / "regressions")) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(source.find('"' + name + '"'), std::string::npos) << name << " has no test";
    ++inputs;
  }
  EXPECT_GT(inputs, 0);
}

}  // namespace
}  // namespace tint
