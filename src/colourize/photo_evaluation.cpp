#include "tint/colourize/photo_evaluation.h"

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/error.h"
#include "tint/data/ab_bins.h"
#include "tint/data/colour_metrics.h"
#include "tint/data/lab.h"
#include "tint/report/image_grid.h"

namespace tint::colourize {
namespace fs = std::filesystem;

namespace {

// (1|3, H, W) uint8 -> (3, H, W): a grey photo in the folder is scored as the colour photo it shows.
torch::Tensor three_channels(const torch::Tensor& image) {
  return image.size(0) == 3 ? image : image.expand({3, -1, -1}).contiguous();
}

// The photo as a grey photo: the mean of R, G and B, rounded to 8 bits, (1, H, W). This, not the colour photo, is what
// the colourizer is given: an ab-bins model keeps its input's CIELAB lightness, and the colour photo's would hand it
// the true lightness, which a grey photo does not have.
torch::Tensor grey_bytes(const torch::Tensor& photo) { return data::to_bytes(grey_of(photo)); }

torch::Tensor read_photo(const fs::path& file, const data::ReadOptions& options) {
  return three_channels(data::read_image(file, options));
}

// The meters of one output (the colourized photos, or the grey ones).
struct OutputMeters {
  data::AbAucMeter auc;
  data::PsnrMeter psnr;
  data::ColourfulnessMeter colourfulness;

  // output, truth (3, H, W) uint8; true_ab (1, 2, H, W); weights (1, H, W).
  void add(const torch::Tensor& output, const torch::Tensor& truth, const torch::Tensor& true_ab,
           const torch::Tensor& weights) {
    const auto out = output.unsqueeze(0);
    auc.add(data::rgb_to_lab(out).slice(1, 1, 3), true_ab, weights);
    psnr.add(out, truth.unsqueeze(0));
    colourfulness.add(out);
  }
  PhotoScores scores() const {
    const auto a = auc.result();
    return {100.0 * a.auc, 100.0 * a.rebalanced_auc.value(), psnr.result().mean_db, colourfulness.result(), a.curve};
  }
  OutputMeters& operator+=(const OutputMeters& o) {
    auc += o.auc;
    psnr += o.psnr;
    colourfulness += o.colourfulness;
    return *this;
  }
};

nlohmann::json scores_json(const PhotoScores& s) {
  return {
      {"auc", s.auc}, {"rebalanced_auc", s.rebalanced_auc}, {"psnr_db", s.psnr_db}, {"colourfulness", s.colourfulness}};
}

// `image` (3, h, w) float fitted into a cell x cell square: shrunk by area averaging (never enlarged), centred on white.
torch::Tensor fitted_cell(const torch::Tensor& image, int cell) {
  namespace F = torch::nn::functional;
  const int64_t h = image.size(1), w = image.size(2);
  const double scale = std::min(1.0, double(cell) / double(std::max(h, w)));
  const int64_t sh = std::max<int64_t>(1, std::llround(h * scale)), sw = std::max<int64_t>(1, std::llround(w * scale));
  auto small = image.unsqueeze(0);
  if (sh != h || sw != w) {
    small = F::interpolate(small, F::InterpolateFuncOptions().size(std::vector<int64_t>{sh, sw}).mode(torch::kArea));
  }
  auto out = torch::ones({1, 3, cell, cell});
  out.narrow(2, (cell - sh) / 2, sh).narrow(3, (cell - sw) / 2, sw).copy_(small);
  return out;
}

void check_options(const PhotoEvaluationOptions& options) {
  if (options.colourize.raw) throw Error("--raw: photos are scored as `tint colourize` writes them, not raw");
  if (options.colourize.side_by_side) throw Error("--side-by-side: photos are scored one output at a time");
}

}  // namespace

PhotoEvaluation evaluate_photos(const Colourizer& colourizer, const std::vector<fs::path>& files,
                                const PhotoEvaluationOptions& options) {
  check_options(options);
  if (files.empty()) throw Error("no photos to evaluate");
  torch::NoGradGuard no_grad;
  // First pass: the Lab of every pixel of every photo, for the colour bins whose prior rebalances the AuC.
  std::vector<torch::Tensor> labs;
  for (const auto& file : files) {
    labs.push_back(data::rgb_to_lab(read_photo(file, options.read).unsqueeze(0)));
  }
  std::vector<torch::Tensor> flat;
  for (const auto& lab : labs) flat.push_back(lab.reshape({1, 3, 1, -1}));
  PhotoEvaluation evaluation;
  data::AbBins bins;
  try {
    bins = data::AbBins::fit(torch::cat(flat, 3));
  } catch (const Error& e) {
    throw Error(fmt::format("the {} photos cannot be scored in colour: {}", files.size(), e.what()));
  }
  flat.clear();
  evaluation.bins = static_cast<int>(bins.size());

  OutputMeters colourized_total, grey_total;
  data::ColourfulnessMeter truth_total;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto truth = read_photo(files[i], options.read);
    const auto true_ab = labs[i].slice(1, 1, 3);
    const auto weights = bins.pixel_weights(bins.encode(true_ab), /*lambda=*/1.0);
    OutputMeters colourized, grey;
    const auto grey_photo = grey_bytes(truth);
    colourized.add(colourizer.colourize_bytes(grey_photo, options.colourize), truth, true_ab, weights);
    grey.add(grey_photo.expand({3, -1, -1}), truth, true_ab, weights);
    data::ColourfulnessMeter truth_meter;
    truth_meter.add(truth.unsqueeze(0));
    PhotoResult r;
    r.file = files[i];
    r.height = truth.size(1);
    r.width = truth.size(2);
    r.colourized = colourized.scores();
    r.grey = grey.scores();
    r.truth_colourfulness = truth_meter.result();
    evaluation.photos.push_back(r);
    evaluation.pixels += r.width * r.height;
    colourized_total += colourized;
    grey_total += grey;
    truth_total += truth_meter;
    labs[i] = torch::Tensor();  // scored: its memory goes
    if (options.progress) options.progress(int64_t(i + 1), int64_t(files.size()));
  }
  evaluation.colourized = colourized_total.scores();
  evaluation.grey = grey_total.scores();
  evaluation.truth_colourfulness = truth_total.result();
  return evaluation;
}

std::string format_photo_evaluation(const PhotoEvaluation& e) {
  std::string out = fmt::format("{} photos, {} pixels; rebalanced over the photos' own {} colour bins\n",
                                e.photos.size(), e.pixels, e.bins);
  out += fmt::format("{:<12} {:>7} {:>14} {:>8} {:>14}\n", "", "AuC %", "rebal. AuC %", "PSNR dB", "colourfulness");
  const auto line = [](const char* name, const PhotoScores& s) {
    return fmt::format("{:<12} {:>7.2f} {:>14.2f} {:>8.2f} {:>14.2f}\n", name, s.auc, s.rebalanced_auc, s.psnr_db,
                       s.colourfulness);
  };
  out += line("colourized", e.colourized);
  out += line("grey input", e.grey);
  out += fmt::format("{:<12} {:>7} {:>14} {:>8} {:>14.2f}\n", "truth", "", "", "", e.truth_colourfulness);
  return out;
}

nlohmann::json photo_evaluation_to_json(const PhotoEvaluation& e) {
  auto photos = nlohmann::json::array();
  for (const auto& p : e.photos) {
    photos.push_back({{"file", p.file.string()},
                      {"width", p.width},
                      {"height", p.height},
                      {"colourized", scores_json(p.colourized)},
                      {"grey", scores_json(p.grey)},
                      {"truth_colourfulness", p.truth_colourfulness}});
  }
  const auto with_curve = [](const PhotoScores& s) {
    auto j = scores_json(s);
    j["curve"] = s.curve;
    return j;
  };
  return {{"photos", photos},           {"colourized", with_curve(e.colourized)},
          {"grey", with_curve(e.grey)}, {"truth_colourfulness", e.truth_colourfulness},
          {"pixels", e.pixels},         {"bins", e.bins}};
}

torch::Tensor photo_sheet(const Colourizer& colourizer, const std::vector<fs::path>& files,
                          const PhotoEvaluationOptions& options, int count, int cell) {
  check_options(options);
  if (count < 1 || cell < 1) throw Error(fmt::format("a sample sheet of {} photos in cells of {} pixels", count, cell));
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> rows;
  for (size_t i = 0; i < files.size() && int(i) < count; ++i) {
    const auto truth = read_photo(files[i], options.read);
    const auto as_float = [](const torch::Tensor& bytes) { return bytes.to(torch::kFloat32).div_(255.0f); };
    const auto grey_photo = grey_bytes(truth);
    rows.push_back(
        torch::cat({fitted_cell(as_float(truth), cell), fitted_cell(as_float(grey_photo.expand({3, -1, -1})), cell),
                    fitted_cell(as_float(colourizer.colourize_bytes(grey_photo, options.colourize)), cell)}));
  }
  if (rows.empty()) throw Error("no photos for the sample sheet");
  return report::make_grid(rows, 2, 1);
}

}  // namespace tint::colourize
