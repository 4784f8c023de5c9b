// Colourizing arbitrary images: output size equals input size and the output's grey (mean of R, G, B) equals the
// input's grey within 8-bit rounding, for grey and colour PNG and JPEG inputs of several sizes.

#include <gtest/gtest.h>
#include <tuple>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/colourize/colourizer.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/data/preprocess.h"
#include "tint/models/model_table.h"

namespace tint::colourize {
namespace {

Colourizer random_colourizer() {
  torch::manual_seed(0);
  auto model = models::make_model("conv-transpose", {3, 1, 8, 6});
  // Vivid palette so that chroma is large and the in-gamut scaling is exercised.
  data::Palette palette(torch::tensor({{1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f},
                                       {1.0f, 1.0f, 0.0f}, {0.2f, 0.1f, 0.0f}, {0.9f, 0.9f, 0.9f}}));
  return Colourizer(model, palette);
}

torch::Tensor smooth_image(int64_t channels, int64_t h, int64_t w) {
  // Gradients plus noise, uint8 (C, H, W).
  auto y = torch::linspace(0, 1, h).view({1, h, 1});
  auto x = torch::linspace(0, 1, w).view({1, 1, w});
  auto base = (0.5 * y + 0.5 * x).expand({channels, h, w}).clone();
  if (channels == 3) base[1] = 1 - base[1];
  return (base * 255).clamp(0, 255).round().to(torch::kUInt8);
}

struct Case {
  int64_t channels, h, w;
  bool jpeg;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.channels << "x" << c.h << "x" << c.w << (c.jpeg ? " jpeg" : " png");
}
class ColourizeSizes : public ::testing::TestWithParam<Case> {};

TEST_P(ColourizeSizes, KeepsSizeAndGrey) {
  const auto& c = GetParam();
  auto colourizer = random_colourizer();
  test::TempDir tmp;
  auto original = smooth_image(c.channels, c.h, c.w);
  const std::string bytes = c.jpeg ? data::encode_jpeg(original) : data::encode_png(original);
  auto input = data::decode_image(bytes, "input");  // what a user's file decodes to
  auto out = colourizer.colourize(input);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, c.h, c.w}));
  data::write_png(tmp / "out.png", out);
  auto written = data::read_image(tmp / "out.png").to(torch::kFloat32);  // (3, H, W) bytes
  auto grey_in = input.to(torch::kFloat32).mean(0);
  auto grey_out = written.mean(0);
  // Each channel is rounded to a byte on writing: the mean moves by at most half a level.
  EXPECT_LE((grey_out - grey_in).abs().max().item<float>(), 0.5f + 1e-3f);
  // And it is actually coloured somewhere (not just grey).
  EXPECT_GT((written - grey_out.unsqueeze(0)).abs().max().item<float>(), 10.0f);
}

INSTANTIATE_TEST_SUITE_P(Inputs, ColourizeSizes,
                         ::testing::Values(Case{1, 32, 32, false}, Case{3, 32, 32, true}, Case{3, 33, 47, false},
                                           Case{1, 33, 47, true}, Case{3, 480, 640, true}, Case{1, 480, 640, false}));

TEST(Colourize, RawOutputUsesOnlyPaletteColours) {
  auto colourizer = random_colourizer();
  auto out = colourizer.colourize(smooth_image(3, 33, 47), {32, /*raw=*/true});
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 33, 47}));
  auto pixels = out.permute({1, 2, 0}).reshape({-1, 1, 3});
  auto distance = (pixels - colourizer.palette().colours().unsqueeze(0)).abs().sum(2).amin(1);
  EXPECT_LT(distance.max().item<float>(), 1e-6f);
}

TEST(Colourize, NativeWorkingSizeAlsoKeepsTheGrey) {
  auto colourizer = random_colourizer();
  auto image = smooth_image(1, 37, 29);
  auto out = colourizer.colourize(image, {0, false});
  EXPECT_LT((out.mean(0) - grey_of(image)[0]).abs().max().item<float>(), 1e-5f);
}

// The strip pipeline against torch's own resizing of the whole image.
TEST(Colourize, BilinearRowsMatchTorchInterpolate) {
  torch::manual_seed(0);
  auto small = torch::rand({3, 8, 11});
  namespace F = torch::nn::functional;
  for (auto [H, W] : std::vector<std::pair<int64_t, int64_t>>{{37, 53}, {8, 11}, {300, 41}, {9, 200}}) {
    auto whole = F::interpolate(small.unsqueeze(0), F::InterpolateFuncOptions()
                                                        .size(std::vector<int64_t>{H, W})
                                                        .mode(torch::kBilinear)
                                                        .align_corners(false))[0];
    auto rows = torch::cat({bilinear_rows(small, H, W, 0, H / 3), bilinear_rows(small, H, W, H / 3, H)}, 1);
    EXPECT_LT((rows - whole).abs().max().item<float>(), 1e-6f) << H << "x" << W;
  }
}

TEST(Colourize, ShrunkInputMatchesTorchAreaInterpolation) {
  namespace F = torch::nn::functional;
  for (auto [channels, H, W, h, w] : std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>>{
           {3, 97, 131, 32, 44}, {1, 64, 64, 32, 32}, {3, 33, 47, 32, 44}, {3, 40, 40, 40, 40}}) {
    auto image = torch::randint(0, 256, {channels, H, W}, torch::kUInt8);
    auto whole = F::interpolate(data::to_network_input(image.unsqueeze(0)),
                                F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kArea));
    EXPECT_LT((shrunk_network_input(image, h, w) - whole).abs().max().item<float>(), 1e-6f) << H << "x" << W;
  }
}

// Strips are an implementation detail: one row at a time or the whole image at once, the same bytes.
TEST(Colourize, StripsDoNotChangeTheResult) {
  auto colourizer = random_colourizer();
  auto image = smooth_image(3, 61, 45);
  ColourizeOptions whole, thin, raw_whole, raw_thin;
  thin.strip_pixels = 1;  // one row per strip
  raw_whole.raw = raw_thin.raw = true;
  raw_thin.strip_pixels = 45 * 7;
  EXPECT_TRUE(colourizer.colourize(image, whole).equal(colourizer.colourize(image, thin)));
  EXPECT_TRUE(colourizer.colourize(image, raw_whole).equal(colourizer.colourize(image, raw_thin)));
  // And the bytes are the float image rounded as the PNG writer rounds it.
  auto bytes = colourizer.colourize_bytes(image, thin);
  EXPECT_TRUE(bytes.equal(data::decode_image(data::encode_png(colourizer.colourize(image)), "float.png")));
}

TEST(Colourize, PretrainedModelLoads) {
  auto path = test::source_dir() / "data" / "pretrained" / "conv-transpose-horse.pt";
  auto colourizer = Colourizer::from_checkpoint(path);
  EXPECT_EQ(colourizer.model_name(), "conv-transpose");
  EXPECT_EQ(colourizer.palette().size(), 24);
}

}  // namespace
}  // namespace tint::colourize
