// evaluate_photos against a brute-force computation in double: the grey baseline made by hand, the ab error of every
// pixel thresholded one by one, PSNR and colourfulness from their formulas, pooled and averaged as the header says.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "colour_scores_by_hand.h"
#include "support/test_support.h"
#include "tint/colourize/colourizer.h"
#include "tint/colourize/photo_evaluation.h"
#include "tint/colourize/pretrained.h"
#include "tint/core/error.h"
#include "tint/data/ab_bins.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"

namespace tint::colourize {
namespace {
namespace fs = std::filesystem;

TEST(PhotoEvaluation, EqualsABruteForceScoringOfTheSamePhotos) {
  const auto dir = test::source_dir() / "tests" / "data" / "photos";
  const std::vector<fs::path> files{dir / "kodim06.jpg", dir / "kodim12.jpg"};
  const auto colourizer =
      Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / find_pretrained("horse").file);
  PhotoEvaluationOptions options;
  options.colourize.working_side = 32;
  const auto e = evaluate_photos(colourizer, files, options);
  ASSERT_EQ(e.photos.size(), 2u);

  std::vector<torch::Tensor> photos, labs;
  for (const auto& f : files) {
    photos.push_back(data::read_image(f));
    labs.push_back(data::rgb_to_lab(photos.back().unsqueeze(0)));
  }
  std::vector<torch::Tensor> flat;
  for (const auto& lab : labs) flat.push_back(lab.reshape({1, 3, 1, -1}));
  const auto bins = data::AbBins::fit(torch::cat(flat, 3));
  EXPECT_EQ(e.bins, bins.size());

  Curve colour_all, grey_all;
  double psnr_sum = 0, grey_psnr_sum = 0, colourful_sum = 0, truth_colourful_sum = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(files[i].string());
    const auto weights = bins.pixel_weights(bins.encode(labs[i].slice(1, 1, 3)), 1.0);
    const auto grey = grey_by_hand(photos[i]);
    // The grey photo is colourized, not the colour one (whose CIELAB lightness would be the truth's).
    const auto out = colourizer.colourize_bytes(grey.narrow(0, 0, 1), options.colourize);
    Curve colour, grey_curve;
    add_pixels(colour, out, labs[i], weights);
    add_pixels(grey_curve, grey, labs[i], weights);
    add_pixels(colour_all, out, labs[i], weights);
    add_pixels(grey_all, grey, labs[i], weights);
    const auto& r = e.photos[i];
    EXPECT_EQ(r.width, photos[i].size(2));
    EXPECT_EQ(r.height, photos[i].size(1));
    EXPECT_NEAR(r.colourized.auc, colour.auc(), 1e-4);
    EXPECT_NEAR(r.colourized.rebalanced_auc, colour.rebalanced(), 1e-4);
    EXPECT_NEAR(r.grey.auc, grey_curve.auc(), 1e-4);
    EXPECT_NEAR(r.grey.rebalanced_auc, grey_curve.rebalanced(), 1e-4);
    EXPECT_NEAR(r.colourized.psnr_db, psnr(out, photos[i]), 1e-6);
    EXPECT_NEAR(r.grey.psnr_db, psnr(grey, photos[i]), 1e-6);
    EXPECT_NEAR(r.colourized.colourfulness, colourfulness(out), 1e-6);
    EXPECT_NEAR(r.grey.colourfulness, 0.0, 1e-9);
    EXPECT_NEAR(r.truth_colourfulness, colourfulness(photos[i]), 1e-6);
    psnr_sum += psnr(out, photos[i]);
    grey_psnr_sum += psnr(grey, photos[i]);
    colourful_sum += colourfulness(out);
    truth_colourful_sum += colourfulness(photos[i]);
  }
  // Over all photos: AuC pooled over pixels, PSNR and colourfulness the means over photos.
  EXPECT_NEAR(e.colourized.auc, colour_all.auc(), 1e-4);
  EXPECT_NEAR(e.colourized.rebalanced_auc, colour_all.rebalanced(), 1e-4);
  EXPECT_NEAR(e.grey.auc, grey_all.auc(), 1e-4);
  EXPECT_NEAR(e.colourized.psnr_db, psnr_sum / 2, 1e-6);
  EXPECT_NEAR(e.grey.psnr_db, grey_psnr_sum / 2, 1e-6);
  EXPECT_NEAR(e.colourized.colourfulness, colourful_sum / 2, 1e-6);
  EXPECT_NEAR(e.truth_colourfulness, truth_colourful_sum / 2, 1e-6);
  EXPECT_EQ(e.pixels, photos[0].numel() / 3 + photos[1].numel() / 3);
  ASSERT_EQ(e.colourized.curve.size(), 151u);
  double within = 0;
  for (int t = 0; t <= 150; ++t) {
    within += colour_all.first[t];
    EXPECT_NEAR(e.colourized.curve[t], within / colour_all.pixels, 1e-6) << t;
  }

  const auto j = photo_evaluation_to_json(e);
  EXPECT_EQ(j["photos"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["colourized"]["auc"].get<double>(), e.colourized.auc);
  EXPECT_DOUBLE_EQ(j["photos"][1]["grey"]["psnr_db"].get<double>(), e.photos[1].grey.psnr_db);
  EXPECT_EQ(j["grey"]["curve"].size(), 151u);
}

TEST(PhotoEvaluation, GreyPhotosAndRawOutputsAreRefused) {
  test::TempDir tmp;
  torch::manual_seed(0);
  const auto grey = torch::randint(0, 256, {1, 24, 24}, torch::kUInt8).expand({3, -1, -1}).contiguous();
  data::write_png(tmp / "grey.png", grey);
  const auto colourizer =
      Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / find_pretrained("horse").file);
  PhotoEvaluationOptions options;
  EXPECT_THROW(evaluate_photos(colourizer, {tmp / "grey.png"}, options), Error);
  EXPECT_THROW(evaluate_photos(colourizer, {}, options), Error);
  options.colourize.raw = true;
  data::write_png(tmp / "colour.png", torch::randint(0, 256, {3, 24, 24}, torch::kUInt8));
  EXPECT_THROW(evaluate_photos(colourizer, {tmp / "colour.png"}, options), Error);
}

TEST(PhotoEvaluation, SheetHasARowOfThreeCellsPerPhoto) {
  const auto dir = test::source_dir() / "tests" / "data" / "photos";
  const auto colourizer =
      Colourizer::from_checkpoint(test::source_dir() / "data" / "pretrained" / find_pretrained("horse").file);
  const auto sheet = photo_sheet(colourizer, {dir / "kodim06.jpg", dir / "kodim12.jpg"}, {}, 6, 64);
  // make_grid: 2 px between and around cells.
  EXPECT_EQ(sheet.sizes(), (std::vector<int64_t>{3, 2 + 2 * 66, 2 + 3 * 66}));
}

}  // namespace
}  // namespace tint::colourize
