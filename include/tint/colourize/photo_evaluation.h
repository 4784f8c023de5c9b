// Scoring a colourizer on colour photos (`tint evaluate --images DIR`), as a user would see its output.
//
// Each photo is made grey as `tint colourize` makes it (the mean of R, G and B, rounded to 8 bits: a grey photo), that
// grey photo colourized at the options' working size as `tint colourize` writes it (Colourizer::colourize_bytes), then
// compared with
// the photo's own colours by the metrics `tint evaluate` uses on CIFAR-10 (data/colour_metrics.h):
//   AuC:            Zhang's area under the cumulative curve of the per-pixel ab error over the thresholds 0..150, in
//                   %, pooled over every pixel of every photo;
//   rebalanced AuC: the same with each pixel weighted by 1 / (Q p~) of its nearest colour bin, the bins and their
//                   smoothed prior p~ fitted on the evaluated photos themselves (AbBins::fit over all their pixels),
//                   as `tint evaluate --run` does on CIFAR-10, so that models of either target (palette or ab bins,
//                   trained on any data) are scored by the same yardstick;
//   PSNR:           10 log10(1 / MSE) per photo in sRGB [0, 1], the mean over photos;
//   colourfulness:  Hasler and Suesstrunk's M per photo, the mean over photos, of the output and of the truth.
// The grey input itself (three equal channels, rounded to 8 bits) is scored alongside: the baseline to beat.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

#include "tint/colourize/colourizer.h"
#include "tint/data/image_io.h"

namespace tint::colourize {

struct PhotoScores {
  double auc = 0;             // %
  double rebalanced_auc = 0;  // %
  double psnr_db = 0;
  double colourfulness = 0;
  // The cumulative curve the AuC averages: curve[t] = the fraction of pixels whose ab error is <= t, t = 0..150
  // (Zhang's figure; the AuC is its mean over the 151 thresholds, data::AbAucResult).
  std::vector<double> curve;
};

struct PhotoResult {
  std::filesystem::path file;
  int64_t width = 0, height = 0;
  PhotoScores colourized, grey;
  double truth_colourfulness = 0;
};

struct PhotoEvaluation {
  std::vector<PhotoResult> photos;  // in the order given
  PhotoScores colourized, grey;     // over all photos (AuC pooled over pixels; PSNR and colourfulness: photo means)
  double truth_colourfulness = 0;
  int64_t pixels = 0;
  int bins = 0;  // Q of the photos' own colour bins (the rebalanced AuC's prior)
};

struct PhotoEvaluationOptions {
  ColourizeOptions colourize;  // working size, decoding; raw and side_by_side are refused
  data::ReadOptions read;
  // Called after each photo is scored: (photos done, photos in all).
  std::function<void(int64_t, int64_t)> progress;
};

// Reads every file twice (the photos' colour bins first, then the scores), so memory holds one photo and the Lab of
// all photos' pixels (12 bytes a pixel), not every photo. Throws tint::Error naming the file for an unreadable
// photo, and when the photos hold fewer than 2 colour bins (grey photos have no colour to score).
PhotoEvaluation evaluate_photos(const Colourizer& colourizer, const std::vector<std::filesystem::path>& files,
                                const PhotoEvaluationOptions& options);

// The summary table, one line per output and the truth's colourfulness.
std::string format_photo_evaluation(const PhotoEvaluation& evaluation);
// {"photos": [{"file", "width", "height", "colourized": {...}, "grey": {...}, "truth_colourfulness"}...],
//  "colourized": {...}, "grey": {...}, "truth_colourfulness", "pixels", "bins"}; scores as {"auc", "rebalanced_auc",
// "psnr_db", "colourfulness"}, and over all photos also "curve" (151 fractions).
nlohmann::json photo_evaluation_to_json(const PhotoEvaluation& evaluation);

// A sample sheet of the first `count` photos, a row each: truth | grey | colourized, each fitted into a `cell` x
// `cell` square (shrunk by area averaging, the aspect kept, on white). (3, H, W) float in [0, 1].
torch::Tensor photo_sheet(const Colourizer& colourizer, const std::vector<std::filesystem::path>& files,
                          const PhotoEvaluationOptions& options, int count = 6, int cell = 192);

}  // namespace tint::colourize
