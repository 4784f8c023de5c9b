#include "tint/data/ab_bins.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {
constexpr int64_t kMaxBins = 10000;
// The neighbour table in nearest() has a row per grid cell of the kept bins' bounding box and is built from the
// (cells, Q) distances on every call; finer grids than this make it grow as grid^-4.
constexpr double kMinGrid = 4.0;
constexpr double kMaxGrid = 50.0;
constexpr double kMaxAb = 1000.0;              // |a|, |b| of any colour are far below this
constexpr int64_t kPixelBlock = int64_t{1} << 20;  // pixels per block in nearest(): converted to float64 at once
constexpr int64_t kPixelGrain = 4096;              // pixels per parallel task in nearest()
constexpr int64_t kFitBlock = int64_t{1} << 20;    // pixels per block in fit()
constexpr int64_t kMargin = 2;                 // grid cells of the neighbour table beyond the kept bins

// Why `options` are not usable, or "" when they are.
std::string invalid_options(const AbBinsOptions& options) {
  if (!(options.grid >= kMinGrid && options.grid <= kMaxGrid)) {
    return fmt::format("grid {} outside {}..{}", options.grid, kMinGrid, kMaxGrid);
  }
  if (!(options.prior_sigma >= 0.0 && std::isfinite(options.prior_sigma))) {
    return fmt::format("prior sigma {} is not a finite number >= 0", options.prior_sigma);
  }
  return "";
}

// Why (centres, prior, options) is not a valid set of bins, or "" when it is.
std::string invalid_reason(const torch::Tensor& centres, const torch::Tensor& prior, const AbBinsOptions& options) {
  if (auto why = invalid_options(options); !why.empty()) return why;
  if (!centres.defined() || centres.dim() != 2 || centres.size(1) != 2) return "centres must be (Q, 2)";
  const int64_t q = centres.size(0);
  if (q < 2 || q > kMaxBins) return fmt::format("{} bins, expected 2..{}", q, kMaxBins);
  if (!prior.defined() || prior.dim() != 1 || prior.size(0) != q) {
    return fmt::format("the prior must have one entry per bin ({})", q);
  }
  auto c = centres.to(torch::kFloat64);
  auto p = prior.to(torch::kFloat64);
  auto ca = c.accessor<double, 2>();
  auto pa = p.accessor<double, 1>();
  std::map<std::pair<int64_t, int64_t>, int64_t> seen;
  double sum = 0;
  for (int64_t i = 0; i < q; ++i) {
    for (int k = 0; k < 2; ++k) {
      const double v = ca[i][k];
      if (!(std::abs(v) <= kMaxAb)) return fmt::format("centre {} has component {}, expected |a|, |b| <= {}", i, v, kMaxAb);
      if (std::abs(v / options.grid - std::round(v / options.grid)) > 1e-6) {
        return fmt::format("centre {} ({}, {}) is not on the grid of {}", i, ca[i][0], ca[i][1], options.grid);
      }
    }
    const std::pair<int64_t, int64_t> cell{std::llround(ca[i][0] / options.grid), std::llround(ca[i][1] / options.grid)};
    auto [it, fresh] = seen.emplace(cell, i);
    if (!fresh) return fmt::format("centres {} and {} are the same bin ({}, {})", it->second, i, ca[i][0], ca[i][1]);
    if (!(pa[i] > 0.0 && pa[i] <= 1.0)) return fmt::format("prior of bin {} is {}, expected in (0, 1]", i, pa[i]);
    sum += pa[i];
  }
  if (std::abs(sum - 1.0) > 1e-6) return fmt::format("the prior sums to {}, expected 1", sum);
  return "";
}

torch::Tensor smooth(const torch::Tensor& centres, const torch::Tensor& prior, double sigma) {
  if (sigma == 0.0) return prior.clone();
  auto c = centres.to(torch::kFloat64);
  auto kernel = torch::exp(-torch::cdist(c, c).pow(2) / (2 * sigma * sigma));  // (Q, Q), symmetric
  auto smoothed = torch::mv(kernel, prior);
  return smoothed / smoothed.sum();
}

void check_finite(const torch::Tensor& ab, const char* what) {
  if (!torch::isfinite(ab).all().item<bool>()) throw Error(fmt::format("{}: ab has NaN or infinite values", what));
}

// (N, 2, H, W) -> (P, 2), pixels in (n, y, x) order, in ab's own dtype (nearest() converts block by block).
torch::Tensor pixels_of(const torch::Tensor& ab, const char* what) {
  TORCH_CHECK(ab.dim() == 4 && ab.size(1) == 2, what, " expects ab (N, 2, H, W), got ", ab.sizes());
  TORCH_CHECK(ab.is_floating_point(), what, " expects floating-point ab, got ", ab.scalar_type());
  return ab.detach().permute({0, 2, 3, 1}).reshape({-1, 2});
}

// (P, k) per pixel -> (N, k, H, W).
torch::Tensor to_image_layout(const torch::Tensor& per_pixel, const torch::Tensor& ab) {
  return per_pixel.view({ab.size(0), ab.size(2), ab.size(3), per_pixel.size(1)}).permute({0, 3, 1, 2}).contiguous();
}
}  // namespace

const char* to_string(AbDecode mode) {
  switch (mode) {
    case AbDecode::Mode: return "mode";
    case AbDecode::Mean: return "mean";
    case AbDecode::Annealed: return "annealed";
  }
  return "?";
}

AbDecode ab_decode_from_string(const std::string& name) {
  for (auto mode : {AbDecode::Mode, AbDecode::Mean, AbDecode::Annealed}) {
    if (name == to_string(mode)) return mode;
  }
  throw Error(fmt::format("unknown ab decoding '{}': expected mode, mean or annealed", name));
}

torch::Tensor SoftTargets::to_dense(int64_t num_bins) const {
  TORCH_CHECK(ids.dim() == 4 && weights.sizes() == ids.sizes(), "SoftTargets: ids ", ids.sizes(), " and weights ",
              weights.sizes(), " must both be (N, K, H, W)");
  return torch::zeros({ids.size(0), num_bins, ids.size(2), ids.size(3)}, torch::kFloat32)
      .scatter_add_(1, ids, weights.to(torch::kFloat32));
}

AbBins::AbBins(torch::Tensor centres, torch::Tensor prior, AbBinsOptions options, int64_t pixels)
    : options_(options), pixels_(pixels) {
  const std::string why = invalid_reason(centres, prior, options);
  if (!why.empty()) throw Error("invalid ab bins: " + why);
  if (pixels < 0) throw Error(fmt::format("invalid ab bins: pixel count {} < 0", pixels));
  centres_ = centres.to(torch::kFloat32).contiguous();
  prior_ = prior.to(torch::kFloat64).contiguous();
  // Zhang smooths the empirical distribution with a Gaussian (sigma 5) before rebalancing: bins seen in only a few
  // pixels would otherwise get huge weights from noise in their counts.
  smoothed_prior_ = smooth(centres_, prior_, options_.prior_sigma);
}

AbBins AbBins::fit(const torch::Tensor& lab, const AbBinsOptions& options) {
  TORCH_CHECK(lab.dim() == 4 && lab.size(1) == 3, "AbBins::fit expects Lab (N, 3, H, W), got ", lab.sizes());
  TORCH_CHECK(lab.is_floating_point(), "AbBins::fit expects floating-point Lab, got ", lab.scalar_type());
  if (auto why = invalid_options(options); !why.empty()) throw Error("ab bins: " + why);
  torch::NoGradGuard no_grad;
  std::map<std::pair<int64_t, int64_t>, int64_t> counts;  // ordered by (a, b): the bins' canonical order
  const int64_t per_image = std::max<int64_t>(1, lab.size(2) * lab.size(3));
  const int64_t block = std::max<int64_t>(1, kFitBlock / per_image);
  for (int64_t start = 0; start < lab.size(0); start += block) {
    auto ab = lab.slice(0, start, std::min(lab.size(0), start + block)).slice(1, 1, 3).to(torch::kFloat64);
    check_finite(ab, "AbBins::fit");
    const double largest = ab.abs().max().item<double>();
    if (largest > kMaxAb) {
      throw Error(fmt::format("AbBins::fit: |a| or |b| reaches {}, expected Lab values (|a|, |b| <= {})", largest,
                              kMaxAb));
    }
    auto cell = torch::round(ab / options.grid).to(torch::kInt64);  // (n, 2, H, W)
    const int64_t lo = cell.min().item<int64_t>();
    const int64_t span = cell.max().item<int64_t>() - lo + 1;
    auto code = ((cell.select(1, 0) - lo) * span + (cell.select(1, 1) - lo)).flatten();
    auto histogram = torch::bincount(code, {}, span * span);
    auto present = histogram.nonzero().squeeze(1);
    auto present_a = present.accessor<int64_t, 1>();
    auto h = histogram.accessor<int64_t, 1>();
    for (int64_t i = 0; i < present.size(0); ++i) {
      const int64_t c = present_a[i];
      counts[{lo + c / span, lo + c % span}] += h[c];
    }
  }
  if (counts.size() < 2) {
    throw Error(fmt::format("AbBins::fit: the images cover {} ab bin(s) of the grid of {}, need at least 2",
                            counts.size(), options.grid));
  }
  auto centres = torch::empty({int64_t(counts.size()), 2}, torch::kFloat64);
  auto prior = torch::empty({int64_t(counts.size())}, torch::kFloat64);
  int64_t total = 0;
  for (const auto& entry : counts) total += entry.second;
  int64_t q = 0;
  for (const auto& [cell, count] : counts) {
    centres[q][0] = double(cell.first) * options.grid;
    centres[q][1] = double(cell.second) * options.grid;
    prior[q] = double(count) / double(total);
    ++q;
  }
  return AbBins(centres, prior, options, total);
}

torch::Tensor AbBins::rebalancing_weights(double lambda) const {
  if (!(lambda >= 0.0 && lambda <= 1.0)) {
    throw Error(fmt::format("rebalancing lambda {} outside [0, 1] (0 = off, 1 = inverse prior)", lambda));
  }
  TORCH_CHECK(size() > 0, "AbBins::rebalancing_weights on empty bins");
  auto w = 1.0 / (lambda * smoothed_prior_ + (1.0 - lambda) / double(size()));
  return (w / (smoothed_prior_ * w).sum()).to(torch::kFloat32);
}

torch::Tensor AbBins::pixel_weights(const torch::Tensor& ids, double lambda) const {
  TORCH_CHECK(ids.dim() == 3 && ids.scalar_type() == torch::kInt64, "AbBins::pixel_weights expects (N, H, W) int64, got ",
              ids.sizes(), " ", ids.scalar_type());
  return rebalancing_weights(lambda).index_select(0, ids.flatten()).view(ids.sizes());
}

std::pair<torch::Tensor, torch::Tensor> AbBins::nearest(const torch::Tensor& ab, int64_t k, const char* what) const {
  TORCH_CHECK(size() > 0, what, " on empty bins");
  TORCH_CHECK(k >= 1 && k <= size(), what, ": ", k, " neighbours of ", size(), " bins");
  const int64_t q = size();
  const double grid = options_.grid;
  std::vector<double> ca(q), cb(q);
  std::vector<int64_t> li(q), lj(q);  // the centres' grid coordinates (exact: centres are on the grid)
  auto c = centres_.accessor<float, 2>();
  for (int64_t i = 0; i < q; ++i) {
    ca[i] = c[i][0], cb[i] = c[i][1];
    li[i] = std::llround(ca[i] / grid), lj[i] = std::llround(cb[i] / grid);
  }
  const int64_t i0 = *std::min_element(li.begin(), li.end()) - kMargin;
  const int64_t i1 = *std::max_element(li.begin(), li.end()) + kMargin;
  const int64_t j0 = *std::min_element(lj.begin(), lj.end()) - kMargin;
  const int64_t j1 = *std::max_element(lj.begin(), lj.end()) + kMargin;
  const int64_t width = j1 - j0 + 1;
  const int64_t cells = (i1 - i0 + 1) * width;

  // A neighbour table over the grid cells: for the cell around g, every bin that can be among the k nearest of a
  // point x in it. With r = grid / sqrt(2) (|x - g| <= r) and D_k(g) the k-th smallest |g - c|, x's k nearest lie
  // within D_k(g) + r of x, hence within D_k(g) + 2r of g: about 20 candidates instead of Q for k = 5, in ascending
  // id order (so ties go to the lower id, as a scan over all bins would). Stored as one list with row offsets.
  std::vector<int64_t> offsets{0}, candidates;
  std::vector<double> d(q), sorted(q);
  for (int64_t cell = 0; cell < cells; ++cell) {
    const double ga = double(cell / width + i0) * grid, gb = double(cell % width + j0) * grid;
    for (int64_t i = 0; i < q; ++i) d[i] = std::hypot(ga - ca[i], gb - cb[i]);
    sorted = d;
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end());
    const double bound = sorted[k - 1] + 2.0 * grid * std::sqrt(0.5) * (1 + 1e-9) + 1e-9 * grid;
    for (int64_t i = 0; i < q; ++i) {
      if (d[i] <= bound) candidates.push_back(i);
    }
    offsets.push_back(int64_t(candidates.size()));
  }
  std::vector<int64_t> all(q);
  std::iota(all.begin(), all.end(), 0);

  const int64_t p = ab.size(0);
  auto ids = torch::empty({p, k}, torch::kInt64);
  auto d2 = torch::empty({p, k}, torch::kFloat64);
  int64_t* id_out = ids.data_ptr<int64_t>();
  double* d2_out = d2.data_ptr<double>();
  std::atomic<bool> non_finite{false};
  for (int64_t start = 0; start < p; start += kPixelBlock) {
    const int64_t end = std::min(p, start + kPixelBlock);
    auto block = ab.slice(0, start, end).to(torch::kFloat64).contiguous();
    const double* x = block.data_ptr<double>();
    at::parallel_for(0, end - start, kPixelGrain, [&](int64_t begin, int64_t stop) {
      std::vector<double> best_d(k);
      std::vector<int64_t> best_id(k);
      for (int64_t px = begin; px < stop; ++px) {
        const double a = x[2 * px], b = x[2 * px + 1];
        if (!std::isfinite(a) || !std::isfinite(b)) {
          non_finite = true;
          continue;
        }
        const double fi = std::floor(a / grid + 0.5), fj = std::floor(b / grid + 0.5);
        const int64_t* list = all.data();
        int64_t count = q;
        if (fi >= double(i0) && fi <= double(i1) && fj >= double(j0) && fj <= double(j1)) {
          const int64_t row = (int64_t(fi) - i0) * width + (int64_t(fj) - j0);
          list = candidates.data() + offsets[row];
          count = offsets[row + 1] - offsets[row];
        }  // else far outside the bins' box (no colour of a photo): every bin is a candidate
        // Insertion into the k best so far; strict < keeps the earlier (lower) id on a tie.
        int64_t found = 0;
        for (int64_t n = 0; n < count; ++n) {
          const int64_t id = list[n];
          const double e = (a - ca[id]) * (a - ca[id]) + (b - cb[id]) * (b - cb[id]);
          if (found == k && !(e < best_d[k - 1])) continue;
          int64_t at = found < k ? found++ : k - 1;
          while (at > 0 && e < best_d[at - 1]) {
            best_d[at] = best_d[at - 1];
            best_id[at] = best_id[at - 1];
            --at;
          }
          best_d[at] = e;
          best_id[at] = id;
        }
        for (int64_t n = 0; n < k; ++n) {
          id_out[(start + px) * k + n] = best_id[n];
          d2_out[(start + px) * k + n] = best_d[n];
        }
      }
    });
  }
  if (non_finite) throw Error(fmt::format("{}: ab has NaN or infinite values", what));
  return {ids, d2};
}

torch::Tensor AbBins::encode(const torch::Tensor& ab) const {
  torch::NoGradGuard no_grad;
  auto ids = nearest(pixels_of(ab, "AbBins::encode"), 1, "AbBins::encode").first;
  return ids.view({ab.size(0), ab.size(2), ab.size(3)});
}

SoftTargets AbBins::soft_encode(const torch::Tensor& ab, int neighbours, double sigma) const {
  if (neighbours < 1 || neighbours > size()) {
    throw Error(fmt::format("soft targets: {} neighbours, expected 1..{} (the number of bins)", neighbours, size()));
  }
  if (!(sigma > 0.0 && std::isfinite(sigma))) throw Error(fmt::format("soft targets: sigma {} must be > 0", sigma));
  torch::NoGradGuard no_grad;
  auto [ids, d2] = nearest(pixels_of(ab, "AbBins::soft_encode"), neighbours, "AbBins::soft_encode");
  // Relative to the nearest bin, so that a pixel far from every bin still gets finite weights (same result after
  // normalising).
  auto w = torch::exp(-(d2 - d2.slice(1, 0, 1)) / (2.0 * sigma * sigma));
  w = w / w.sum(1, /*keepdim=*/true);
  return {to_image_layout(ids, ab), to_image_layout(w.to(torch::kFloat32), ab)};
}

torch::Tensor AbBins::centres_of(const torch::Tensor& ids) const {
  TORCH_CHECK(ids.dim() == 3, "AbBins::centres_of expects (N, H, W) ids, got ", ids.sizes());
  return centres_.index_select(0, ids.flatten().to(torch::kInt64))
      .view({ids.size(0), ids.size(1), ids.size(2), 2})
      .permute({0, 3, 1, 2})
      .contiguous();
}

torch::Tensor AbBins::decode(const torch::Tensor& logits, const AbDecoding& decoding) const {
  TORCH_CHECK(logits.dim() == 4 && logits.size(1) == size(), "AbBins::decode expects logits (N, ", size(),
              ", H, W), got ", logits.sizes());
  torch::NoGradGuard no_grad;
  if (decoding.mode == AbDecode::Mode) return centres_of(logits.argmax(1));
  double t = 1.0;
  if (decoding.mode == AbDecode::Annealed) {
    t = decoding.temperature;
    if (!(t > 0.0 && std::isfinite(t))) throw Error(fmt::format("decoding temperature {} must be > 0", t));
  }
  // softmax(log(softmax(z)) / T) = softmax(z / T - const) = softmax(z / T): the annealed mean needs no log.
  // Each pixel's Q logits as one row (a view of channels-last logits), so that the softmax runs along rows and the
  // expectation is one matrix product: the (N, Q, H, W) softmax and einsum took 2.6 ms an image with 244 bins.
  const int64_t n = logits.size(0), h = logits.size(2), w = logits.size(3);
  auto rows = logits.permute({0, 2, 3, 1}).reshape({-1, size()}).to(torch::kFloat32);
  auto ab = torch::mm(torch::softmax(rows / t, 1), centres_);  // (N H W, 2)
  return ab.view({n, h, w, 2}).permute({0, 3, 1, 2}).contiguous();
}

nlohmann::json AbBins::to_json() const {
  nlohmann::json centres = nlohmann::json::array();
  nlohmann::json prior = nlohmann::json::array();
  auto c = centres_.accessor<float, 2>();
  auto p = prior_.accessor<double, 1>();
  for (int64_t i = 0; i < size(); ++i) {
    centres.push_back({double(c[i][0]), double(c[i][1])});
    prior.push_back(p[i]);
  }
  return {{"format", "tint-ab-bins"},
          {"version", 1},
          {"grid", options_.grid},
          {"prior_sigma", options_.prior_sigma},
          {"pixels", pixels_},
          {"centres", centres},
          {"prior", prior}};
}

AbBins AbBins::from_json(const nlohmann::json& json, const std::string& source) {
  auto fail = [&](const std::string& what) { return Error(fmt::format("{}: invalid ab bins: {}", source, what)); };
  if (!json.is_object()) throw fail("expected a JSON object");
  if (json.contains("format") && json["format"] != "tint-ab-bins") throw fail("'format' is not \"tint-ab-bins\"");
  if (json.contains("version") && json["version"] != 1) throw fail("unsupported 'version', expected 1");
  auto number = [&](const char* key) {
    if (!json.contains(key) || !json[key].is_number()) throw fail(fmt::format("missing number '{}'", key));
    return json[key].get<double>();
  };
  AbBinsOptions options;
  options.grid = number("grid");
  options.prior_sigma = number("prior_sigma");
  int64_t pixels = 0;
  if (json.contains("pixels")) {
    const auto& value = json["pixels"];
    if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0)) {
      throw fail("'pixels' must be a non-negative integer");
    }
    pixels = value.get<int64_t>();
  }
  for (const char* key : {"centres", "prior"}) {
    if (!json.contains(key) || !json[key].is_array()) throw fail(fmt::format("missing array '{}'", key));
  }
  const auto& list = json["centres"];
  const auto& prior_list = json["prior"];
  if (list.size() < 2 || list.size() > size_t(kMaxBins)) {
    throw fail(fmt::format("'centres' has {} entries, expected 2..{}", list.size(), kMaxBins));
  }
  if (prior_list.size() != list.size()) {
    throw fail(fmt::format("'prior' has {} entries for {} centres", prior_list.size(), list.size()));
  }
  auto centres = torch::empty({int64_t(list.size()), 2}, torch::kFloat64);
  auto prior = torch::empty({int64_t(list.size())}, torch::kFloat64);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_number() || !entry[1].is_number()) {
      throw fail(fmt::format("centre {} is not [a, b]", i));
    }
    centres[i][0] = entry[0].get<double>();
    centres[i][1] = entry[1].get<double>();
    if (!prior_list[i].is_number()) throw fail(fmt::format("prior {} is not a number", i));
    prior[i] = prior_list[i].get<double>();
  }
  const std::string why = invalid_reason(centres, prior, options);
  if (!why.empty()) throw fail(why);
  return AbBins(centres, prior, options, pixels);
}

void AbBins::save(const fs::path& path) const { write_file_atomic(path, to_json().dump(2) + "\n"); }

AbBins AbBins::load(const fs::path& path) {
  const std::string text = read_file(path);
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(fmt::format("{}: not valid JSON", path.string()));
  return from_json(json, path.string());
}

}  // namespace tint::data
