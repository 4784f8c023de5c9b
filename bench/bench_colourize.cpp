// Where the time of colourizing one 1280x720 frame goes (issue 31: >= 10 frames/s at 720p), stage by stage, with the
// shipped ab-bins model (data/pretrained/unet-cifar10-ab.pt) and the default options (working side 32, guided
// upsampling, annealed-mean decoding): the network's input shrunk from the frame, the forward pass, the decoding of
// the bins, the guided filter's coefficients, then the full-resolution work two ways: LibTorch's float64 tensor
// operators as render_ab did them before ops::render_lab (guided_rows, data::rgb_to_lab, data::recombine,
// data::to_bytes) and the fused pass that replaced them; last the whole frame through Colourizer::colourize_bytes and
// the video layer's copies between FFmpeg's packed RGB and tint's planar images (plain loops, src/video/pixel_layout.h:
// the single-thread Args are what the reader's and writer's threads pay). Arg: intra-op threads.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <ATen/Parallel.h>

#include "tint/colourize/colourizer.h"
#include "tint/core/runtime.h"
#include "tint/data/image_io.h"
#include "tint/data/lab.h"
#include "tint/data/preprocess.h"
#include "tint/ops/lab_render.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/trainer.h"
#include "video/pixel_layout.h"

namespace {
using namespace tint;

constexpr int64_t kHeight = 720, kWidth = 1280, kWorkingHeight = 32, kWorkingWidth = 56;  // working side 32

// A frame with structure and colour: gradients, a disc, noise.
torch::Tensor frame() {
  torch::manual_seed(0);
  auto y = torch::linspace(0, 1, kHeight).view({1, kHeight, 1}), x = torch::linspace(0, 1, kWidth).view({1, 1, kWidth});
  auto disc = ((y - 0.5).pow(2) + (x - 0.4).pow(2) * 0.3).lt(0.05).to(torch::kFloat);
  auto rgb =
      torch::cat({x.expand({1, kHeight, kWidth}), y.expand({1, kHeight, kWidth}), disc.expand({1, kHeight, kWidth})});
  rgb = rgb + 0.05 * torch::randn({3, kHeight, kWidth});
  return (rgb.clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous();
}

struct Model {
  models::ColourNet net;
  data::AbBins bins;
  data::AbDecoding decoding;
};
const Model& model() {
  static const Model m = [] {
    train::CheckpointReader reader(TINT_PRETRAINED_AB);
    return Model{train::load_model(reader), reader.meta().bins, train::ab_decoding(reader.meta().config)};
  }();
  return m;
}

void set_threads(benchmark::State& state) {
  configure_threads(static_cast<int>(state.range(0)));
  tune_allocator();
}

enum class Stage {
  shrink,
  forward,
  decode,
  guided_coefficients,
  old_guided_upsampling,
  old_lightness,
  old_recombine,
  old_to_bytes,
  old_full_resolution,
  fused_full_resolution,
  whole_frame,
  packed_to_planar,
  planar_to_packed
};

template <Stage kStage>
void BM_Colourize720p(benchmark::State& state) {
  set_threads(state);
  torch::InferenceMode guard;
  const auto& m = model();
  m.net->eval();
  const auto image = frame();
  const auto input = colourize::shrunk_network_input(image, kWorkingHeight, kWorkingWidth);
  const auto logits = m.net->forward(input);
  const auto ab = m.bins.decode(logits, m.decoding)[0];  // (2, h, w)
  const auto coefficients = colourize::guided_coefficients(input, ab, 1, 1e-3);
  const auto grey = colourize::grey_of(image) * (255.0f / 256.0f);
  const auto ab_full = colourize::guided_rows(coefficients, grey, kHeight, kWidth, 0, kHeight);
  const auto lightness = data::rgb_to_lab(image).slice(0, 0, 1);
  const auto recombined = data::recombine(lightness.unsqueeze(0), ab_full.unsqueeze(0))[0];
  const auto packed = image.permute({1, 2, 0}).contiguous();
  auto packed_out = torch::empty_like(packed);
  colourize::Colourizer colourizer(m.net, m.bins, m.decoding);
  ops::WorkingChroma chroma{coefficients.a, coefficients.b};
  for (int c = 0; c < 2; ++c) {
    chroma.lo[c] = coefficients.lo[c].item<float>();
    chroma.hi[c] = coefficients.hi[c].item<float>();
  }
  auto out = torch::empty({3, kHeight, kWidth}, torch::kUInt8);
  for (auto _ : state) {
    switch (kStage) {
      case Stage::shrink:
        benchmark::DoNotOptimize(colourize::shrunk_network_input(image, kWorkingHeight, kWorkingWidth));
        break;
      case Stage::forward:
        benchmark::DoNotOptimize(m.net->forward(input));
        break;
      case Stage::decode:
        benchmark::DoNotOptimize(m.bins.decode(logits, m.decoding));
        break;
      case Stage::guided_coefficients:
        benchmark::DoNotOptimize(colourize::guided_coefficients(input, ab, 1, 1e-3));
        break;
      case Stage::old_guided_upsampling:  // grey_of and the guided rows, as ChromaUpsampler::rows
        benchmark::DoNotOptimize(colourize::guided_rows(coefficients, colourize::grey_of(image) * (255.0f / 256.0f),
                                                        kHeight, kWidth, 0, kHeight));
        break;
      case Stage::old_lightness:
        benchmark::DoNotOptimize(data::rgb_to_lab(image).slice(0, 0, 1));
        break;
      case Stage::old_recombine:
        benchmark::DoNotOptimize(data::recombine(lightness.unsqueeze(0), ab_full.unsqueeze(0)));
        break;
      case Stage::old_to_bytes:
        benchmark::DoNotOptimize(data::to_bytes(recombined));
        break;
      case Stage::old_full_resolution: {  // render_ab's strip before ops::render_lab: the four above, one strip
        const auto g = colourize::grey_of(image) * (255.0f / 256.0f);
        const auto l = data::rgb_to_lab(image).slice(0, 0, 1);
        const auto chroma_full = colourize::guided_rows(coefficients, g, kHeight, kWidth, 0, kHeight);
        out.copy_(data::to_bytes(data::recombine(l.unsqueeze(0), chroma_full.unsqueeze(0))[0]));
        break;
      }
      case Stage::fused_full_resolution:
        ops::render_lab(image, chroma, out);
        break;
      case Stage::whole_frame:
        benchmark::DoNotOptimize(colourizer.colourize_bytes(image));
        break;
      case Stage::packed_to_planar:  // video_reader.cpp: sws_scale's RGB24 to (3, H, W), on the reader's thread
        video::packed_to_planar(packed.data_ptr<uint8_t>(), kHeight, kWidth, kWidth * 3, 0, out.data_ptr<uint8_t>());
        benchmark::DoNotOptimize(out.data_ptr<uint8_t>());
        break;
      case Stage::planar_to_packed:  // video_writer.cpp: (3, H, W) to RGB24 for sws_scale, on the writer's thread
        video::planar_to_packed(image.data_ptr<uint8_t>(), kHeight, kWidth, packed_out.data_ptr<uint8_t>());
        benchmark::DoNotOptimize(packed_out.data_ptr<uint8_t>());
        break;
    }
  }
  state.counters["frames/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

#define TINT_COLOURIZE_BENCH(stage) \
  BENCHMARK_TEMPLATE(BM_Colourize720p, Stage::stage)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()
TINT_COLOURIZE_BENCH(shrink);
TINT_COLOURIZE_BENCH(forward);
TINT_COLOURIZE_BENCH(decode);
TINT_COLOURIZE_BENCH(guided_coefficients);
TINT_COLOURIZE_BENCH(old_guided_upsampling);
TINT_COLOURIZE_BENCH(old_lightness);
TINT_COLOURIZE_BENCH(old_recombine);
TINT_COLOURIZE_BENCH(old_to_bytes);
TINT_COLOURIZE_BENCH(old_full_resolution);
TINT_COLOURIZE_BENCH(fused_full_resolution);
TINT_COLOURIZE_BENCH(whole_frame);
TINT_COLOURIZE_BENCH(packed_to_planar);
TINT_COLOURIZE_BENCH(planar_to_packed);

}  // namespace
