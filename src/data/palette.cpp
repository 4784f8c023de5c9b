#include "tint/data/palette.h"

#include <fmt/core.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::data {
namespace fs = std::filesystem;

namespace {
constexpr int64_t kLabelChunk = int64_t{1} << 18;  // pixels per matmul: keeps the (chunk, K) scores in cache
constexpr int kMaxColours = 256;
}  // namespace

Palette::Palette(torch::Tensor colours, std::string category, uint64_t seed)
    : colours_(colours.to(torch::kFloat32).contiguous()), category_(std::move(category)), seed_(seed) {
  TORCH_CHECK(colours_.dim() == 2 && colours_.size(1) == 3, "palette colours must be (K, 3), got ", colours_.sizes());
}

Palette Palette::fit(const torch::Tensor& images, const KMeansOptions& options, std::string category,
                     KMeansResult* stats) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.scalar_type() == torch::kUInt8,
              "Palette::fit expects (N, 3, H, W) uint8 images, got ", images.sizes());
  if (options.k < 2 || options.k > kMaxColours) {
    throw Error(fmt::format("number of colours k must be in 2..{}, got {}", kMaxColours, options.k));
  }
  // Pixels are 24-bit colours: a histogram over the 2^24 codes turns millions of pixels into far fewer weighted
  // points, and orders them canonically (so the result does not depend on image order).
  auto rgb = images.to(torch::kInt64);
  auto codes = (rgb.select(1, 0) * 65536 + rgb.select(1, 1) * 256 + rgb.select(1, 2)).flatten();
  auto counts = torch::bincount(codes, {}, int64_t{1} << 24);
  auto present = counts.nonzero().squeeze(1);  // sorted codes
  auto points =
      torch::stack({present.div(65536, "floor"), present.div(256, "floor").remainder(256), present.remainder(256)}, 1)
          .to(torch::kFloat64)
          .div_(256.0);
  auto result = kmeans(points, counts.index_select(0, present).to(torch::kFloat64), options);
  if (stats != nullptr) *stats = result;
  return Palette(result.centres, std::move(category), options.seed);
}

torch::Tensor Palette::label(const torch::Tensor& rgb) const {
  TORCH_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "Palette::label expects (N, 3, H, W), got ", rgb.sizes());
  TORCH_CHECK(colours_.defined() && size() > 0, "Palette::label on an empty palette");
  torch::NoGradGuard no_grad;
  auto pixels = rgb.to(torch::kFloat32).permute({0, 2, 3, 1}).reshape({-1, 3}).contiguous();  // (P, 3)
  auto cc = colours_.pow(2).sum(1);                                                           // (K)
  auto ids = torch::empty({pixels.size(0)}, torch::kInt64);
  // ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2; the first term is the same for every c, so it drops out of argmin.
  for (int64_t start = 0; start < pixels.size(0); start += kLabelChunk) {
    const int64_t end = std::min(pixels.size(0), start + kLabelChunk);
    auto x = pixels.slice(0, start, end);
    ids.slice(0, start, end).copy_(torch::addmm(cc, x, colours_.t(), /*beta=*/1, /*alpha=*/-2).argmin(1));
  }
  return ids.view({rgb.size(0), rgb.size(2), rgb.size(3)});
}

torch::Tensor Palette::colourize(const torch::Tensor& ids) const {
  TORCH_CHECK(ids.dim() == 3, "Palette::colourize expects (N, H, W) indices, got ", ids.sizes());
  return colours_.index_select(0, ids.flatten().to(torch::kInt64))
      .view({ids.size(0), ids.size(1), ids.size(2), 3})
      .permute({0, 3, 1, 2})
      .contiguous();
}

nlohmann::json Palette::to_json() const {
  nlohmann::json colours = nlohmann::json::array();
  auto c = colours_.accessor<float, 2>();
  for (int64_t i = 0; i < size(); ++i) colours.push_back({c[i][0], c[i][1], c[i][2]});
  return {{"format", "tint-palette"}, {"version", 1},  {"k", size()},
          {"category", category_},    {"seed", seed_}, {"colours", colours}};
}

Palette Palette::from_json(const nlohmann::json& json, const std::string& source) {
  auto fail = [&](const std::string& what) { return Error(fmt::format("{}: invalid palette: {}", source, what)); };
  if (!json.is_object()) throw fail("expected a JSON object");
  if (!json.contains("colours") || !json["colours"].is_array()) throw fail("missing array 'colours'");
  const auto& list = json["colours"];
  if (list.size() < 2 || list.size() > kMaxColours) {
    throw fail(fmt::format("'colours' has {} entries, expected 2..{}", list.size(), kMaxColours));
  }
  if (json.contains("k") && (!json["k"].is_number_integer() || json["k"].get<int64_t>() != int64_t(list.size()))) {
    throw fail(fmt::format("'k' does not match the {} colours listed", list.size()));
  }
  auto colours = torch::empty({int64_t(list.size()), 3}, torch::kFloat32);
  auto c = colours.accessor<float, 2>();
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    if (!entry.is_array() || entry.size() != 3) throw fail(fmt::format("colour {} is not [r, g, b]", i));
    for (size_t ch = 0; ch < 3; ++ch) {
      if (!entry[ch].is_number()) throw fail(fmt::format("colour {} has a non-numeric component", i));
      double v = entry[ch].get<double>();
      if (!(v >= 0.0 && v <= 1.0)) throw fail(fmt::format("colour {} component {} is {}, outside [0, 1]", i, ch, v));
      c[i][ch] = static_cast<float>(v);
    }
  }
  std::string category;
  if (json.contains("category")) {
    if (!json["category"].is_string()) throw fail("'category' must be a string");
    category = json["category"].get<std::string>();
  }
  uint64_t seed = 0;
  if (json.contains("seed")) {
    if (!json["seed"].is_number_unsigned()) throw fail("'seed' must be a non-negative integer");
    seed = json["seed"].get<uint64_t>();
  }
  return Palette(colours, category, seed);
}

void Palette::save(const fs::path& path) const { write_file_atomic(path, to_json().dump(2) + "\n"); }

Palette Palette::load(const fs::path& path) {
  const std::string text = read_file(path);
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(fmt::format("{}: not valid JSON", path.string()));
  return from_json(json, path.string());
}

}  // namespace tint::data
