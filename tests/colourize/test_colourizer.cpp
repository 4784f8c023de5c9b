// Colourizing arbitrary images: output size equals input size and the output's grey (mean of R, G, B) equals the
// input's grey within 8-bit rounding, for grey and colour PNG and JPEG inputs of several sizes. ab-bins models:
// the output against the whole-image computation written with torch's own resizing, and its lightness against the
// input's wherever the colour is in gamut.

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <algorithm>
#include <functional>
#include <tuple>

#include "support/test_support.h"
#include "tint/colourize/colourizer.h"
#include "tint/colourize/pretrained.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/models/model_table.h"

namespace tint::colourize {
namespace {

Colourizer random_colourizer() {
  torch::manual_seed(0);
  auto model = models::make_model("conv-transpose", {3, 1, 8, 6});
  // Vivid palette so that chroma is large and the in-gamut scaling is exercised.
  data::Palette palette(torch::tensor({{1.0f, 0.0f, 0.0f},
                                       {0.0f, 1.0f, 0.0f},
                                       {0.0f, 0.0f, 1.0f},
                                       {1.0f, 1.0f, 0.0f},
                                       {0.2f, 0.1f, 0.0f},
                                       {0.9f, 0.9f, 0.9f}}));
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
    auto whole = F::interpolate(
        small.unsqueeze(0),
        F::InterpolateFuncOptions().size(std::vector<int64_t>{H, W}).mode(torch::kBilinear).align_corners(false))[0];
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

// Every shipped colourizer is in the repository and loads as its description says: the default (first) the
// all-class ab-bins UNet, the horse model the source's palette ConvTransposeNet, the photo model a deep-unet.
TEST(Colourize, EveryPretrainedModelLoads) {
  const auto& table = pretrained_colourizers();
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table.front().name, "cifar10");
  for (const auto& row : table) {
    SCOPED_TRACE(row.name);
    auto colourizer = Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / row.file);
    EXPECT_EQ(&find_pretrained(row.name), &row);
    if (row.name == "horse") {
      EXPECT_EQ(colourizer.model_name(), "conv-transpose");
      EXPECT_FALSE(colourizer.predicts_ab());
      EXPECT_EQ(colourizer.palette().size(), 24);
    } else if (row.name == "photo") {
      EXPECT_EQ(colourizer.model_name(), "deep-unet");
      EXPECT_TRUE(colourizer.predicts_ab());
      EXPECT_EQ(colourizer.bins().size(), 222);    // the ab bins of its first epoch's photo crops
      EXPECT_EQ(colourizer.training_side(), 128);  // photos run at its --photo-side
    } else {
      EXPECT_EQ(colourizer.model_name(), "unet");
      EXPECT_TRUE(colourizer.predicts_ab());
      EXPECT_EQ(colourizer.bins().size(), 244);  // the ab bins of all CIFAR-10's training images
    }
  }
  try {
    find_pretrained("zebra");
    FAIL() << "an unknown name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'zebra': expected one of cifar10, horse, photo"), std::string::npos)
        << e.what();
  }
}

// A random network over the bins of random images; the colourizer shares the network (a module holder), so the
// tests can run it themselves.
struct AbModel {
  models::ColourNet model;
  data::AbBins bins;
};
AbModel random_ab_model() {
  torch::manual_seed(1);
  auto bins = data::AbBins::fit(data::rgb_to_lab(torch::randint(0, 256, {4, 3, 16, 16}, torch::kUInt8)));
  auto model = models::make_model("conv-transpose", {3, 1, 8, static_cast<int>(bins.size())});
  model->eval();
  return {model, bins};
}

namespace F = torch::nn::functional;

// The ab-bins pipeline on the whole image at once with torch's resizing: area-shrunk network input, decoded ab,
// bilinear upsampling, recombined with the image's own L. (3, H, W) float.
torch::Tensor whole_image_ab(const AbModel& m, const torch::Tensor& image, int64_t wh, int64_t ww,
                             const data::AbDecoding& decoding) {
  torch::NoGradGuard no_grad;
  auto input = F::interpolate(data::to_network_input(image.unsqueeze(0)),
                              F::InterpolateFuncOptions().size(std::vector<int64_t>{wh, ww}).mode(torch::kArea));
  auto ab = m.bins.decode(m.model->forward(input), decoding);
  auto full = F::interpolate(ab, F::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{image.size(1), image.size(2)})
                                     .mode(torch::kBilinear)
                                     .align_corners(false));
  auto rgb_image = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
  auto lightness = data::rgb_to_lab(rgb_image.unsqueeze(0)).slice(1, 0, 1);
  return data::lab_to_rgb(torch::cat({lightness, full}, 1))[0];
}

TEST(ColourizeAbBins, MatchesTheWholeImageComputationAndKeepsTheLightness) {
  const auto m = random_ab_model();
  for (auto [channels, h, w] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{3, 64, 96}, {1, 45, 33}}) {
    SCOPED_TRACE(std::to_string(channels) + "x" + std::to_string(h) + "x" + std::to_string(w));
    for (auto decoding :
         {data::AbDecoding{data::AbDecode::Annealed, 0.38}, data::AbDecoding{data::AbDecode::Mode, 1}}) {
      Colourizer colourizer(m.model, m.bins, decoding);
      ASSERT_TRUE(colourizer.predicts_ab());
      auto image = smooth_image(channels, h, w);
      ColourizeOptions thin;
      thin.strip_pixels = w * 5;           // strips of 5 rows
      thin.upsample = Upsample::bilinear;  // as torch's interpolate (guided: GuidedUpsampling below)
      auto out = colourizer.colourize(image, thin);
      // The working size: the shorter side 32, the other in proportion, both rounded to multiples of 4.
      const double scale = 32.0 / double(std::min(h, w));
      const int64_t wh = std::lround(h * scale / 4) * 4, ww = std::lround(w * scale / 4) * 4;
      EXPECT_LT((out - whole_image_ab(m, image, wh, ww, decoding)).abs().max().item<float>(), 2e-5f);
      // The output's L is the input's wherever the recombined colour needed no clipping.
      auto rgb_image = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
      auto lab_in = data::rgb_to_lab(rgb_image.unsqueeze(0));
      auto lab_out = data::rgb_to_lab(out.unsqueeze(0));
      auto unclipped =
          data::xyz_to_rgb(data::lab_to_xyz(torch::cat({lab_in.slice(1, 0, 1), lab_out.slice(1, 1, 3)}, 1)));
      auto in_gamut = (unclipped.amin(1) > 1e-3).logical_and(unclipped.amax(1) < 1 - 1e-3);  // (1, H, W)
      ASSERT_GT(in_gamut.to(torch::kFloat32).mean().item<float>(), 0.2f);
      auto dl = (lab_out.select(1, 0) - lab_in.select(1, 0)).abs().masked_select(in_gamut);
      EXPECT_LT(dl.max().item<float>(), 1e-3f);
      // A decoding given with the call replaces the model's own.
      ColourizeOptions mean;
      mean.upsample = Upsample::bilinear;
      mean.decoding = data::AbDecoding{data::AbDecode::Mean, 1};
      EXPECT_LT((colourizer.colourize(image, mean) - whole_image_ab(m, image, wh, ww, *mean.decoding))
                    .abs()
                    .max()
                    .item<float>(),
                2e-5f);
    }
  }
}

TEST(ColourizeAbBins, RawIsTheDecodedAbOnTheInputsGreyAtTheWorkingSize) {
  const auto m = random_ab_model();
  Colourizer colourizer(m.model, m.bins);
  auto image = smooth_image(3, 32, 32);
  ColourizeOptions raw;
  raw.raw = true;
  auto out = colourizer.colourize(image, raw);  // the working size is the image's: no resizing
  torch::NoGradGuard no_grad;
  auto input = data::to_network_input(image.unsqueeze(0));
  auto ab = m.bins.decode(m.model->forward(input), colourizer.decoding());
  // The grey input g stands for the 8-bit grey 256 g: its L is that of the sRGB grey 256 g / 255.
  auto grey = (input * (256.0 / 255.0)).expand({1, 3, 32, 32});
  auto expected = data::lab_to_rgb(torch::cat({data::rgb_to_lab(grey).slice(1, 0, 1), ab}, 1))[0];
  EXPECT_LT((out - expected).abs().max().item<float>(), 1e-5f);
}

TEST(ColourizeAbBins, PaletteModelsRefuseADecoding) {
  auto colourizer = random_colourizer();
  ColourizeOptions options;
  options.decoding = data::AbDecoding{};
  EXPECT_NE(test::error_of([&] { colourizer.colourize(smooth_image(3, 8, 8), options); }).find("ab-bins models"),
            std::string::npos);
}

// The guided upsampling written out by hand in double precision: box means by explicit sums over the window's pixels
// inside the image, the coefficients per window, their means, bilinear taps (align_corners = false), the clamp.
// guide (h, w), chroma (C, h, w), full (H, W): returns (C, H, W).
torch::Tensor brute_force_guided(const torch::Tensor& guide_small, const torch::Tensor& chroma_small,
                                 const torch::Tensor& full_guide, int r, double eps) {
  const auto I = guide_small.to(torch::kFloat64).contiguous();
  const auto P = chroma_small.to(torch::kFloat64).contiguous();
  const auto G = full_guide.to(torch::kFloat64).contiguous();
  const int64_t C = P.size(0), h = I.size(0), w = I.size(1), H = G.size(0), W = G.size(1);
  auto i_at = [&](int64_t y, int64_t x) { return I[y][x].item<double>(); };
  auto p_at = [&](int64_t c, int64_t y, int64_t x) { return P[c][y][x].item<double>(); };
  // box(f)(y, x): the mean of f over the pixels of [y - r, y + r] x [x - r, x + r] inside the image.
  auto box = [&](int64_t y, int64_t x, const std::function<double(int64_t, int64_t)>& f) {
    double sum = 0;
    int n = 0;
    for (int64_t v = std::max<int64_t>(0, y - r); v <= std::min(h - 1, y + r); ++v) {
      for (int64_t u = std::max<int64_t>(0, x - r); u <= std::min(w - 1, x + r); ++u) {
        sum += f(v, u);
        ++n;
      }
    }
    return sum / n;
  };
  std::vector<double> a(size_t(C * h * w)), b(size_t(C * h * w)), mean_a(a.size()), mean_b(a.size());
  auto at = [&](int64_t c, int64_t y, int64_t x) { return size_t((c * h + y) * w + x); };
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        const double mi = box(y, x, i_at), mp = box(y, x, [&](int64_t v, int64_t u) { return p_at(c, v, u); });
        const double var = box(y, x, [&](int64_t v, int64_t u) { return i_at(v, u) * i_at(v, u); }) - mi * mi;
        const double cov = box(y, x, [&](int64_t v, int64_t u) { return i_at(v, u) * p_at(c, v, u); }) - mi * mp;
        a[at(c, y, x)] = cov / (var + eps);
        b[at(c, y, x)] = mp - a[at(c, y, x)] * mi;
      }
    }
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        mean_a[at(c, y, x)] = box(y, x, [&](int64_t v, int64_t u) { return a[at(c, v, u)]; });
        mean_b[at(c, y, x)] = box(y, x, [&](int64_t v, int64_t u) { return b[at(c, v, u)]; });
      }
    }
  }
  // Bilinear taps: source = max(0, (j + 0.5) in / out - 0.5), between floor(source) and the next sample.
  auto tap = [](int64_t j, int64_t in, int64_t out) {
    const double source = std::max(0.0, (j + 0.5) * double(in) / double(out) - 0.5);
    const int64_t first = std::min<int64_t>(in - 1, int64_t(std::floor(source)));
    return std::make_tuple(first, std::min<int64_t>(in - 1, first + 1), std::min(1.0, source - double(first)));
  };
  auto out = torch::empty({C, H, W}, torch::kFloat64);
  for (int64_t c = 0; c < C; ++c) {
    const double lo = P[c].min().item<double>(), hi = P[c].max().item<double>();
    auto upsampled = [&](const std::vector<double>& m, int64_t y, int64_t x) {
      auto [y0, y1, wy] = tap(y, h, H);
      auto [x0, x1, wx] = tap(x, w, W);
      return (1 - wy) * ((1 - wx) * m[at(c, y0, x0)] + wx * m[at(c, y0, x1)]) +
             wy * ((1 - wx) * m[at(c, y1, x0)] + wx * m[at(c, y1, x1)]);
    };
    for (int64_t y = 0; y < H; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        const double q = upsampled(mean_a, y, x) * G[y][x].item<double>() + upsampled(mean_b, y, x);
        out[c][y][x] = std::clamp(q, lo, hi);
      }
    }
  }
  return out;
}

TEST(GuidedUpsampling, MatchesABruteForceDoublePrecisionFilter) {
  torch::manual_seed(3);
  for (auto [r, eps, h, w, H, W] : std::vector<std::tuple<int, double, int64_t, int64_t, int64_t, int64_t>>{
           {1, 1e-3, 7, 9, 29, 40}, {2, 1e-2, 6, 5, 13, 21}, {0, 1e-3, 4, 6, 9, 9}, {3, 1e-4, 5, 8, 5, 8}}) {
    SCOPED_TRACE("r " + std::to_string(r) + ", " + std::to_string(h) + "x" + std::to_string(w));
    // A guide with structure (so the fitted a is far from 0) and noise, and chroma partly following it.
    auto guide = (torch::linspace(0, 1, w).view({1, 1, w}) + 0.3 * torch::rand({1, h, w})).clamp(0, 1);
    auto chroma = torch::cat({40 * guide - 20 + 5 * torch::randn({1, h, w}), 30 * torch::randn({1, h, w})});
    auto full = torch::rand({1, H, W});
    const auto coefficients = guided_coefficients(guide, chroma, r, eps);
    auto rows = torch::cat({guided_rows(coefficients, full.slice(1, 0, H / 2), H, W, 0, H / 2),
                            guided_rows(coefficients, full.slice(1, H / 2, H), H, W, H / 2, H)},
                           1);
    auto expected = brute_force_guided(guide[0], chroma, full[0], r, eps);
    EXPECT_LT((rows.to(torch::kFloat64) - expected).abs().max().item<double>(), 2e-4);  // chroma of size ~40
    if (r == 0) {  // a one-pixel window has no variance: a = 0, b = the chroma, which is bilinear upsampling
      EXPECT_LT((rows - bilinear_rows(chroma, H, W, 0, H)).abs().max().item<float>(), 1e-5f);
    }
  }
}

TEST(GuidedUpsampling, StripsDoNotChangeTheResult) {
  torch::manual_seed(4);
  auto guide = torch::rand({1, 8, 12}), chroma = torch::randn({3, 8, 12}), full = torch::rand({1, 50, 77});
  const auto coefficients = guided_coefficients(guide, chroma, 1, 1e-3);
  const auto whole = guided_rows(coefficients, full, 50, 77, 0, 50);
  std::vector<torch::Tensor> single;
  for (int64_t y = 0; y < 50; ++y)
    single.push_back(guided_rows(coefficients, full.slice(1, y, y + 1), 50, 77, y, y + 1));
  EXPECT_TRUE(torch::cat(single, 1).equal(whole));
  // Through the colourizer, palette and ab-bins models alike: one row per strip or the whole image, the same output.
  const auto m = random_ab_model();
  auto image = smooth_image(3, 61, 45);
  for (const auto& colourizer : {random_colourizer(), Colourizer(m.model, m.bins)}) {
    ColourizeOptions whole_image, thin;
    whole_image.upsample = thin.upsample = Upsample::guided;
    thin.strip_pixels = 1;
    EXPECT_TRUE(colourizer.colourize(image, whole_image).equal(colourizer.colourize(image, thin)));
  }
}

// A step edge's transition width: the pixels of a row where the chroma is between 20 % and 80 % of the way across.
int64_t transition_width(const torch::Tensor& row) {
  const auto lo = row.min().item<float>(), hi = row.max().item<float>();
  const auto t = (row - lo) / (hi - lo);
  return t.gt(0.2).logical_and(t.lt(0.8)).sum().item<int64_t>();
}

// A vertical step in the grey at a column no working pixel's border falls on, and the network's chroma following the
// working-size grey (softened, as a network's is): guided, the chroma steps where the full-resolution grey steps;
// bilinear, it ramps over about a working pixel's width (8 full-resolution pixels).
TEST(GuidedUpsampling, AStepInTheGuideGivesAStepInTheChroma) {
  const int64_t H = 64, W = 96, h = 8, w = 12, edge = 45;
  auto image = torch::full({1, H, W}, 50, torch::kUInt8);
  image.slice(2, edge, W).fill_(200);
  const auto guide = shrunk_network_input(image, h, w)[0];  // (1, h, w): column 5 straddles the edge
  auto chroma = (guide - guide.mean()) * 60.0f;
  chroma = torch::cat({chroma, -chroma});  // two channels: ab-like
  auto softened = chroma.clone();          // the neighbours' average, half-and-half
  softened.slice(2, 1, w - 1) =
      0.5f * chroma.slice(2, 1, w - 1) + 0.25f * (chroma.slice(2, 0, w - 2) + chroma.slice(2, 2, w));
  const ColourizeOptions defaults;
  const auto full_grey = grey_of(image) * (255.0f / 256.0f);
  const auto guided = guided_rows(guided_coefficients(guide, softened, defaults.guide_radius, defaults.guide_eps),
                                  full_grey, H, W, 0, H);
  const auto bilinear = bilinear_rows(softened, H, W, 0, H);
  const auto guided_width = transition_width(guided[0][H / 2]), bilinear_width = transition_width(bilinear[0][H / 2]);
  EXPECT_EQ(guided_width, 0) << guided[0][H / 2];
  EXPECT_GE(bilinear_width, 8) << bilinear[0][H / 2];
  // Guided, most of the change is one pixel's step (the rest a slow drift, the softened chroma's); bilinear, none is.
  auto largest_step = [](const torch::Tensor& row) {
    return (row.slice(0, 1) - row.slice(0, 0, -1)).abs().max().item<float>() / (row.max() - row.min()).item<float>();
  };
  EXPECT_GT(largest_step(guided[0][H / 2]), 0.7f);
  EXPECT_LT(largest_step(bilinear[0][H / 2]), 0.15f);
  // And the step is where the grey's is: between columns edge - 1 and edge.
  const auto row = guided[0][H / 2];
  EXPECT_LT(row[edge - 1].item<float>(), 0.5f * (row.min() + row.max()).item<float>());
  EXPECT_GT(row[edge].item<float>(), 0.5f * (row.min() + row.max()).item<float>());
}

// The promises of colourizer.h hold guided as bilinear: a palette model's output grey is the input's, an ab-bins
// model's L the input's wherever the colour is in gamut.
TEST(GuidedUpsampling, KeepsTheGreyAndTheLightness) {
  ColourizeOptions guided;
  guided.upsample = Upsample::guided;
  for (auto [channels, h, w] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{3, 64, 96}, {1, 45, 33}}) {
    SCOPED_TRACE(std::to_string(channels) + "x" + std::to_string(h) + "x" + std::to_string(w));
    auto image = smooth_image(channels, h, w);
    image.slice(2, w / 3, w / 2).fill_(20);  // an edge for the guide
    const auto palette_out = random_colourizer().colourize(image, guided);
    EXPECT_LT((palette_out.mean(0) - grey_of(image)[0]).abs().max().item<float>(), 1e-5f);
    EXPECT_GT((palette_out - palette_out.mean(0, true)).abs().max().item<float>(), 0.05f);

    const auto m = random_ab_model();
    const auto out = Colourizer(m.model, m.bins).colourize(image, guided);
    auto rgb_image = image.size(0) == 1 ? image.expand({3, -1, -1}) : image;
    auto lab_in = data::rgb_to_lab(rgb_image.unsqueeze(0));
    auto lab_out = data::rgb_to_lab(out.unsqueeze(0));
    auto unclipped = data::xyz_to_rgb(data::lab_to_xyz(torch::cat({lab_in.slice(1, 0, 1), lab_out.slice(1, 1, 3)}, 1)));
    auto in_gamut = (unclipped.amin(1) > 1e-3).logical_and(unclipped.amax(1) < 1 - 1e-3);
    ASSERT_GT(in_gamut.to(torch::kFloat32).mean().item<float>(), 0.2f);
    EXPECT_LT((lab_out.select(1, 0) - lab_in.select(1, 0)).abs().masked_select(in_gamut).max().item<float>(), 1e-3f);
  }
}

}  // namespace
}  // namespace tint::colourize
