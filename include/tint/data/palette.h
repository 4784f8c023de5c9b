// The colour palette: K colours found by k-means over training pixels in RGB, and nearest-colour labelling.
//
// Colourization is classification: every pixel's target is the index of its nearest palette colour (Euclidean
// distance in RGB, as the source). Colours live in the same [0,1) scale as the network's data (pixels / 256).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

namespace tint::data {

struct KMeansOptions {
  int k = 24;
  uint64_t seed = 0;
  int max_iterations = 300;
};

struct KMeansResult {
  torch::Tensor centres;          // (K', 3) float64, K' = min(k, distinct points)
  torch::Tensor assignment;       // (P) int64: cluster of every point
  std::vector<double> objective;  // weighted sum of squared distances after each assignment step
  int iterations = 0;             // Lloyd iterations run
  bool converged = false;         // assignments stopped changing before max_iterations
};

// Weighted k-means: k-means++ seeding (seeded, deterministic), then Lloyd iterations until no assignment changes.
// points (P, D) float64, weights (P) float64 >= 0. An emptied cluster is re-seeded at the point farthest from its
// centre, which keeps the objective non-increasing. Fewer than k distinct points give that many centres.
KMeansResult kmeans(const torch::Tensor& points, const torch::Tensor& weights, const KMeansOptions& options);

class Palette {
 public:
  Palette() = default;
  explicit Palette(torch::Tensor colours, std::string category = "", uint64_t seed = 0);

  // k-means over every pixel of `images` ((N, 3, H, W) uint8); duplicates are merged into weighted points first.
  // `stats`, when given, receives the k-means run (iterations, objective per iteration).
  static Palette fit(const torch::Tensor& images, const KMeansOptions& options, std::string category = "",
                     KMeansResult* stats = nullptr);

  int64_t size() const { return colours_.size(0); }
  const torch::Tensor& colours() const { return colours_; }  // (K, 3) float32 in [0, 1]
  const std::string& category() const { return category_; }
  uint64_t seed() const { return seed_; }

  // (N, 3, H, W) float in the palette's scale -> (N, H, W) int64 index of the nearest colour.
  torch::Tensor label(const torch::Tensor& rgb) const;
  // (N, H, W) int64 indices -> (N, 3, H, W) float32 colours.
  torch::Tensor colourize(const torch::Tensor& ids) const;

  nlohmann::json to_json() const;
  // `source` names where the JSON came from, for error messages.
  static Palette from_json(const nlohmann::json& json, const std::string& source);
  void save(const std::filesystem::path& path) const;
  static Palette load(const std::filesystem::path& path);

 private:
  torch::Tensor colours_;  // (K, 3) float32
  std::string category_;
  uint64_t seed_ = 0;
};

}  // namespace tint::data
