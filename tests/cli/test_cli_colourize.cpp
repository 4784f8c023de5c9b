// End-to-end `tint colourize`: the pretrained default and models by name, folders, side-by-side, and a corrupt file in a batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/data/image_io.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

TEST(CliColourize, BatchWithACorruptFileCompletesTheRestAndFails) {
  test::TempDir tmp;
  fs::create_directories(tmp / "in");
  torch::manual_seed(0);
  data::write_png(tmp / "in" / "a.png", torch::randint(0, 256, {3, 40, 56}, torch::kUInt8));
  data::write_png(tmp / "in" / "b.png", torch::randint(0, 256, {1, 32, 32}, torch::kUInt8));
  test::write_bytes(tmp / "in" / "broken.png", "not a png at all");
  auto r = run_tint("colourize '" + (tmp / "in").string() + "' --out-dir '" + (tmp / "out").string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("broken.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 images failed"), std::string::npos) << r.err;
  auto a = data::read_image(tmp / "out" / "a_colourized.png");
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{3, 40, 56}));
  EXPECT_TRUE(fs::exists(tmp / "out" / "b_colourized.png"));
  EXPECT_FALSE(fs::exists(tmp / "out" / "broken_colourized.png"));
}

// The default is the first shipped model (the all-class one); --pretrained horse is the horse model's checkpoint,
// byte for byte; a model is chosen one way only.
TEST(CliColourize, PretrainedModelsByName) {
  test::TempDir tmp;
  torch::manual_seed(3);
  data::write_png(tmp / "g.png", torch::randint(0, 256, {1, 36, 44}, torch::kUInt8));
  const std::string in = "colourize '" + (tmp / "g.png").string() + "' --threads 1 -o '";
  const auto pretrained = test::source_dir() / "data" / "pretrained";
  const std::vector<std::pair<std::string, std::string>> runs{
      {"default.png", ""},
      {"cifar10.png", " --pretrained cifar10"},
      {"horse.png", " --pretrained horse"},
      {"horse-file.png", " --checkpoint '" + (pretrained / "conv-transpose-horse.pt").string() + "'"},
      {"cifar10-file.png", " --checkpoint '" + (pretrained / "unet-cifar10-ab.pt").string() + "'"}};
  for (const auto& [out, flags] : runs) {
    auto r = run_tint(in + (tmp / out).string() + "'" + flags);
    ASSERT_EQ(r.exit_code, 0) << flags << ": " << r.err;
  }
  const auto files = test::read_tree(tmp.path());
  EXPECT_EQ(files.at("default.png"), files.at("cifar10.png"));
  EXPECT_EQ(files.at("cifar10.png"), files.at("cifar10-file.png"));
  EXPECT_EQ(files.at("horse.png"), files.at("horse-file.png"));
  EXPECT_NE(files.at("horse.png"), files.at("cifar10.png"));
  auto both = run_tint(in + (tmp / "x.png").string() + "' --pretrained horse --run '" + tmp.path().string() + "'");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--pretrained"), std::string::npos) << both.err;
  auto unknown = run_tint(in + (tmp / "x.png").string() + "' --pretrained zebra");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("zebra"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(tmp / "x.png"));
}

TEST(CliColourize, SideBySideAndSingleOutput) {
  test::TempDir tmp;
  data::write_png(tmp / "g.png", torch::randint(0, 256, {1, 20, 24}, torch::kUInt8));
  auto r =
      run_tint("colourize '" + (tmp / "g.png").string() + "' --side-by-side -o '" + (tmp / "o.png").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(data::read_image(tmp / "o.png").sizes(), (std::vector<int64_t>{3, 20, 48}));
  // The switches take no value: the path after them is an input (a [true|false] option would read it as its value).
  auto switches = run_tint("colourize --raw --side-by-side '" + (tmp / "g.png").string() + "' -o '" +
                           (tmp / "r.png").string() + "'");
  ASSERT_EQ(switches.exit_code, 0) << switches.err;
  EXPECT_EQ(data::read_image(tmp / "r.png").sizes(), (std::vector<int64_t>{3, 20, 48}));
  auto two = run_tint("colourize '" + (tmp / "g.png").string() + "' '" + (tmp / "g.png").string() + "' -o x.png");
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("--out-dir"), std::string::npos) << two.err;
}

// A phone photo taken upright (EXIF orientation 6, stored turned): the output is upright, the upright size.
TEST(CliColourize, PhotosComeOutUprightAsJpegWhenAsked) {
  test::TempDir tmp;
  const auto photo = test::source_dir() / "tests" / "data" / "images" / "orientation_6.jpg";
  auto r =
      run_tint("colourize '" + photo.string() + "' --out-dir '" + tmp.path().string() + "' --format jpg --quality 80");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = tmp / "orientation_6_colourized.jpg";
  EXPECT_EQ(data::read_image(out).sizes(), (std::vector<int64_t>{3, 16, 24}));  // stored 24 high, 16 wide
  EXPECT_EQ(test::read_tree(tmp.path()).at("orientation_6_colourized.jpg").rfind("\xFF\xD8\xFF", 0), 0u);
}

TEST(CliColourize, DecompressionBombIsRefusedAndTheLimitCanBeRaised) {
  test::TempDir tmp;
  const auto bomb = test::source_dir() / "tests" / "data" / "images" / "bomb.png";
  auto r = run_tint("colourize '" + bomb.string() + "' --out-dir '" + tmp.path().string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bomb.png: image is 100000 x 100000 = 10000000000 pixels, more than the limit of 268435456 "
                       "(--max-pixels raises it)"),
            std::string::npos)
      << r.err;
  const auto upright = test::source_dir() / "tests" / "data" / "images" / "upright.png";
  auto small =
      run_tint("colourize '" + upright.string() + "' --max-pixels 100 --out-dir '" + tmp.path().string() + "'");
  EXPECT_NE(small.err.find("more than the limit of 100"), std::string::npos) << small.err;
  auto bad = run_tint("colourize '" + upright.string() + "' --quality 0");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--quality"), std::string::npos) << bad.err;
}

// `tint evaluate --images`: any colourizer scored on a folder of photos (the numbers themselves are checked against a
// brute-force scoring in tests/colourize/test_photo_evaluation.cpp), with a sample sheet; misuse is one line.
TEST(CliEvaluatePhotos, ScoresAFolderWritesASheetAndRefusesMisuse) {
  test::TempDir tmp;
  const auto photos = test::source_dir() / "tests" / "data" / "photos";
  const std::string base = "evaluate --images '" + photos.string() + "' --threads 1";
  auto r = run_tint(base + " --pretrained horse --limit 2 --json --sheet '" + (tmp / "sheet.png").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["photos"].size(), 2u);
  EXPECT_GT(j["colourized"]["auc"].get<double>(), 50.0);
  EXPECT_EQ(j["grey"]["colourfulness"].get<double>(), 0.0);
  EXPECT_EQ(data::read_image(tmp / "sheet.png").size(0), 3);
  auto text = run_tint(base + " --size 64");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("grey input"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("3 photos"), std::string::npos) << text.out;

  const std::vector<std::pair<std::string, std::string>> misuse{
      {base + " --category horse", "--category"},
      {"evaluate --pretrained horse", "--run DIR"},
      {"evaluate --run '" + tmp.path().string() + "' --size 64", "--size"},
      {"evaluate --images '" + tmp.path().string() + "/none'", "--images"},
      {base + " --raw", "--raw"}};
  for (const auto& [command, expected] : misuse) {
    auto bad = run_tint(command);
    EXPECT_EQ(bad.exit_code, 2) << command;
    EXPECT_NE(bad.err.find(expected), std::string::npos) << command << ": " << bad.err;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << command << ": " << bad.err;
  }
}

}  // namespace
}  // namespace tint
