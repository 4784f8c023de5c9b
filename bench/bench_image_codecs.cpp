// A 12-megapixel photo (4000 x 3000 JPEG, quality 90) through decode, colourize and encode: tint's codecs
// (libjpeg-turbo, libpng at level 1 with the "up" filter) against stb_image / stb_image_write, tint's codecs before
// (Debian's libstb), side by side in one run. Also each codec step alone, and libpng at its default level 6 for the
// compression-level choice (the encoded size is reported as a counter).
//   build/bench/tint_bench --benchmark_filter=Image
#include <benchmark/benchmark.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <torch/torch.h>

#include "tint/colourize/colourizer.h"
#include "tint/core/runtime.h"
#include "tint/data/image_io.h"

namespace {

// A photo-like test image: smooth gradients, edges and sensor-like noise (JPEG's cost grows with detail).
const std::string& photo_jpeg() {
  static const std::string bytes = [] {
    torch::manual_seed(0);
    auto y = torch::linspace(0, 1, 3000).view({1, 3000, 1});
    auto x = torch::linspace(0, 1, 4000).view({1, 1, 4000});
    auto base = torch::cat(
        {0.6 * x + 0.3 * y, 0.5 + 0.3 * torch::sin(12 * x) * torch::cos(9 * y), (1 - 0.7 * y).expand({1, 3000, 4000})},
        0);
    auto image = (base + 0.03 * torch::randn({3, 3000, 4000})).clamp(0, 1);
    tint::data::WriteOptions options;
    options.jpeg_quality = 90;
    return tint::data::encode_jpeg(image, options);
  }();
  return bytes;
}

const tint::colourize::Colourizer& colourizer() {
  static const auto c = tint::colourize::Colourizer::from_checkpoint(TINT_PRETRAINED);
  return c;
}

torch::Tensor stb_decode(const std::string& bytes) {
  int w = 0, h = 0, c = 0;
  auto* pixels =
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), &w, &h, &c, 3);
  if (pixels == nullptr) throw std::runtime_error(stbi_failure_reason());
  auto chw = torch::from_blob(pixels, {h, w, 3}, torch::kUInt8).permute({2, 0, 1}).clone();
  stbi_image_free(pixels);
  return chw;
}

std::string stb_encode_png(const torch::Tensor& image) {
  auto hwc = image.permute({1, 2, 0}).contiguous();
  std::string out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append((char*)data, size); }, &out,
      int(hwc.size(1)), int(hwc.size(0)), int(hwc.size(2)), hwc.data_ptr<uint8_t>(), int(hwc.size(1) * hwc.size(2)));
  return out;
}

void BM_ImageDecode_Tint(benchmark::State& state) {
  photo_jpeg();  // made once, outside the timing
  for (auto _ : state) benchmark::DoNotOptimize(tint::data::decode_image(photo_jpeg(), "photo.jpg"));
  state.SetItemsProcessed(state.iterations() * 12'000'000);
}
void BM_ImageDecode_Stb(benchmark::State& state) {
  photo_jpeg();
  for (auto _ : state) benchmark::DoNotOptimize(stb_decode(photo_jpeg()));
  state.SetItemsProcessed(state.iterations() * 12'000'000);
}

// Encoding the colourized photo (bytes), at a PNG level (state.range(0)) or with stb_image_write (its level 8).
void BM_ImageEncodePng_Tint(benchmark::State& state) {
  const auto image = colourizer().colourize_bytes(tint::data::decode_image(photo_jpeg(), "photo.jpg"));
  tint::data::WriteOptions options;
  options.png_compression = int(state.range(0));
  size_t size = 0;
  for (auto _ : state) size = tint::data::encode_png(image, options).size();
  state.counters["MB"] = double(size) / 1e6;
}
void BM_ImageEncodePng_Stb(benchmark::State& state) {
  const auto image = colourizer().colourize_bytes(tint::data::decode_image(photo_jpeg(), "photo.jpg"));
  size_t size = 0;
  for (auto _ : state) size = stb_encode_png(image).size();
  state.counters["MB"] = double(size) / 1e6;
}

// The whole `tint colourize photo.jpg -o out.png` work, without the file system.
void BM_ImageColourize12MP_Tint(benchmark::State& state) {
  tint::configure_threads(0);
  colourizer();
  photo_jpeg();
  for (auto _ : state) {
    auto image = tint::data::decode_image(photo_jpeg(), "photo.jpg");
    benchmark::DoNotOptimize(tint::data::encode_png(colourizer().colourize_bytes(image)));
  }
}
// Before: stb's decoder and encoder around the whole-image float output (the strip pipeline computes it).
void BM_ImageColourize12MP_Stb(benchmark::State& state) {
  tint::configure_threads(0);
  colourizer();
  photo_jpeg();
  for (auto _ : state) {
    auto image = stb_decode(photo_jpeg());
    auto colour = colourizer().colourize(image).mul(255).round().to(torch::kUInt8);
    benchmark::DoNotOptimize(stb_encode_png(colour));
  }
}

}  // namespace

BENCHMARK(BM_ImageDecode_Tint)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageDecode_Stb)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageEncodePng_Tint)->Arg(1)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageEncodePng_Stb)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageColourize12MP_Tint)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ImageColourize12MP_Stb)->Unit(benchmark::kMillisecond);
