// Colourization networks exported to ONNX (export/colourizer_export.h), checked by two readers that share no code
// with tint: onnx's checker and OpenCV's DNN module (tests/export/onnx_reference.py). Each network kind with each
// head, the shipped models, and the errors for what cannot be exported.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "onnx_reference.h"
#include "tint/colourize/colourizer.h"
#include "tint/colourize/pretrained.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/export/colourizer_export.h"
#include "tint/models/layers.h"
#include "tint/models/model_table.h"
#include "tint/train/checkpoint.h"
#include "tint/train/config.h"
#include "tint/train/trainer.h"

namespace tint::onnx_export {
namespace colourizer_export_test {
namespace {
namespace fs = std::filesystem;
using test::max_difference;
using test::run_onnx_reference;

// Real inputs: the three test photos as the network sees them (data::to_network_input, shrunk by area averaging as
// `tint colourize` shrinks them), at h x w.
torch::Tensor photo_inputs(int64_t h, int64_t w) {
  std::vector<torch::Tensor> inputs;
  for (const std::string name : {"kodim06.jpg", "kodim12.jpg", "kodim14.jpg"})
    inputs.push_back(colourize::shrunk_network_input(data::read_image(test::test_photo(name)), h, w));
  return torch::cat(inputs).contiguous();  // (3, 1, h, w)
}

// Batchnorm statistics and affine parameters away from their initial 0 / 1, so that an exporter that dropped or
// misordered them would show (a fresh network's batchnorm is the identity in eval mode up to epsilon).
void randomize_batchnorm(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& m : net.modules()) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn->running_mean.uniform_(-0.5, 0.5);
      bn->running_var.uniform_(0.3, 2.0);
      bn->weight.uniform_(-1.5, 1.5);  // negative scales too: a max-pooling does not commute with them
      bn->bias.uniform_(-0.5, 0.5);
    }
  }
}

struct NetCase {
  std::string model, head;
  int kernel;
};
void PrintTo(const NetCase& c, std::ostream* os) { *os << c.model << "/" << c.head << "/k" << c.kernel; }

class ColourNetExport : public ::testing::TestWithParam<NetCase> {};

// Every network of the model table with each head (and an even kernel, whose 'same' padding is asymmetric): the
// file passes the checker, says what it holds, and OpenCV computes tint's logits within 1e-4 on the photos, at two
// sizes from the one file (batch, height and width are symbolic).
TEST_P(ColourNetExport, OpenCVGivesTintsLogitsOnPhotos) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  const auto& c = GetParam();
  torch::manual_seed(34);
  models::ModelConfig config;
  config.kernel = c.kernel;
  config.num_filters = 8;
  config.num_colours = 10;
  config.head = c.head;
  auto net = models::make_model(c.model, config);
  randomize_batchnorm(*net);
  net->eval();
  {
    // One forward pass first: it puts the weights in the network's memory format (channels-last), as they are after
    // training, whose storage order is not ONNX's (O, I, kH, kW).
    torch::NoGradGuard no_grad;
    net->forward(torch::zeros({1, 1, net->size_multiple(), net->size_multiple()}));
  }
  ASSERT_TRUE(net->parameters()[0].is_contiguous(torch::MemoryFormat::ChannelsLast));
  ColourizerInfo info;
  info.source = "test";
  info.net = config;
  info.palette = data::Palette(torch::rand({10, 3}));
  ExportSummary summary;
  const auto bytes = colourizer_onnx(*net, info, summary);
  test::TempDir tmp("tint-export");
  const auto file = tmp / "net.onnx";
  write_file_atomic(file, bytes);

  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{32, 32}, {48, 64}}) {
    SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w));
    const auto input = photo_inputs(h, w);
    torch::Tensor ours;
    {
      torch::NoGradGuard no_grad;
      ours = net->forward(input).contiguous();
    }
    const auto reference = run_onnx_reference(file, input);
    ASSERT_FALSE(reference.json.is_null());
    const auto& j = reference.json;
    EXPECT_EQ(j.at("opset"), kOpset);
    EXPECT_EQ(j.at("nodes"), summary.nodes);
    EXPECT_EQ(j.at("weights"), summary.weights);
    EXPECT_EQ(j.at("inputs").dump(), R"({"grey":["batch",1,"height","width"]})");
    EXPECT_EQ(j.at("outputs").dump(), R"({"logits":["batch",10,"height","width"]})");
    EXPECT_EQ(j.at("metadata").at("model"), c.model);
    EXPECT_EQ(j.at("metadata").at("target"), "palette");
    ASSERT_EQ(reference.outputs.size(), 1u);
    const double error = max_difference(ours, reference.outputs[0]);
    std::printf("[ onnx     ] %s/%s/k%d %lldx%lld: max |tint - OpenCV| %.3g (logits up to %.3g)\n", c.model.c_str(),
                c.head.c_str(), c.kernel, static_cast<long long>(h), static_cast<long long>(w), error,
                ours.abs().max().item<double>());
    EXPECT_LT(error, 1e-4);
  }
}

std::vector<NetCase> net_cases() {
  std::vector<NetCase> cases;
  for (const auto& name : models::model_names())
    for (const std::string head : {"figure", "pointwise"}) cases.push_back({name, head, 3});
  for (const auto& name : models::model_names()) cases.push_back({name, "figure", 4});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllNetworks, ColourNetExport, ::testing::ValuesIn(net_cases()),
                         [](const ::testing::TestParamInfo<NetCase>& info) {
                           std::string name =
                               info.param.model + "_" + info.param.head + "_k" + std::to_string(info.param.kernel);
                           for (auto& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

// The shipped colourizers (data/pretrained/): the UNet on ab bins and the ConvTransposeNet on a palette. OpenCV gives
// their logits within 1e-4 on the photos, and the metadata holds the palette or the bins exactly as the checkpoint.
TEST(ShippedColourizerExport, OpenCVGivesTheShippedModelsLogits) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  test::TempDir tmp("tint-export");
  for (const auto& row : colourize::pretrained_colourizers()) {
    SCOPED_TRACE(row.name);
    const auto checkpoint = test::source_dir() / "data" / "pretrained" / row.file;
    const auto file = tmp / (row.name + ".onnx");
    const auto summary = export_colourizer(checkpoint, "pretrained " + row.name, file);
    EXPECT_EQ(summary.file, file);
    EXPECT_EQ(summary.bytes, static_cast<int64_t>(fs::file_size(file)));

    train::CheckpointReader reader(checkpoint);
    const auto meta = reader.meta();
    auto net = train::load_model(reader);
    net->eval();
    const auto input = photo_inputs(32, 48);
    torch::Tensor ours;
    {
      torch::NoGradGuard no_grad;
      ours = net->forward(input).contiguous();
    }
    const auto reference = run_onnx_reference(file, input);
    ASSERT_FALSE(reference.json.is_null());
    ASSERT_EQ(reference.outputs.size(), 1u);
    const double error = max_difference(ours, reference.outputs[0]);
    std::printf("[ onnx     ] pretrained %s (%s): max |tint - OpenCV| %.3g (logits up to %.3g)\n", row.name.c_str(),
                net->name().c_str(), error, ours.abs().max().item<double>());
    EXPECT_LT(error, 1e-4);

    const auto& metadata = reference.json.at("metadata");
    EXPECT_EQ(metadata.at("model"), net->name());
    EXPECT_EQ(metadata.at("source"), "pretrained " + row.name);
    if (meta.config.target == train::ColourTarget::ab_bins) {
      const auto bins = nlohmann::json::parse(metadata.at("ab_bins").get<std::string>());
      ASSERT_EQ(static_cast<int64_t>(bins.size()), meta.bins.size());
      const auto centres = meta.bins.centres();
      for (int64_t i = 0; i < meta.bins.size(); ++i) {
        EXPECT_EQ(bins[i][0].get<float>(), centres[i][0].item<float>()) << "bin " << i;
        EXPECT_EQ(bins[i][1].get<float>(), centres[i][1].item<float>()) << "bin " << i;
      }
      EXPECT_EQ(metadata.at("ab_decoding"), "annealed mean, temperature 0.38");
    } else {
      const auto palette = nlohmann::json::parse(metadata.at("palette").get<std::string>());
      ASSERT_EQ(static_cast<int64_t>(palette.size()), meta.palette.size());
      const auto colours = meta.palette.colours();
      for (int64_t i = 0; i < meta.palette.size(); ++i)
        for (int64_t k = 0; k < 3; ++k) EXPECT_EQ(palette[i][k].get<float>(), colours[i][k].item<float>());
    }
  }
}

// --decode on the shipped ab-bins model: OpenCV's "ab" is tint's decoding (data::AbBins::decode with the run's
// annealed mean, T 0.38) of OpenCV's logits within 1e-4, and of tint's own logits within 1e-3; the logits are still
// there as the first output.
TEST(ShippedColourizerExport, DecodedAbIsTintsAnnealedMean) {
  TINT_SKIP_IF_MISSING(test::missing_onnx_reference());
  test::TempDir tmp("tint-export");
  const auto checkpoint = test::source_dir() / "data" / "pretrained" / colourize::find_pretrained("cifar10").file;
  const auto summary = export_colourizer(checkpoint, "pretrained cifar10", tmp / "decoded.onnx", /*decode=*/true);
  EXPECT_EQ(summary.outputs, "ab-bin logits (244), decoded ab");
  train::CheckpointReader reader(checkpoint);
  const auto meta = reader.meta();
  ASSERT_EQ(meta.config.target, train::ColourTarget::ab_bins);
  const auto decoding = train::ab_decoding(meta.config);
  ASSERT_EQ(decoding.mode, data::AbDecode::Annealed);
  auto net = train::load_model(reader);
  net->eval();
  const auto input = photo_inputs(32, 48);
  torch::Tensor logits, ab;
  {
    torch::NoGradGuard no_grad;
    logits = net->forward(input).contiguous();
    ab = meta.bins.decode(logits, decoding);
  }
  const auto reference = run_onnx_reference(tmp / "decoded.onnx", input);
  ASSERT_EQ(reference.outputs.size(), 2u);
  EXPECT_EQ(reference.json.at("outputs").at("ab").dump(), R"(["batch",2,"height","width"])");
  const double logit_error = max_difference(logits, reference.outputs[0]);
  // The decoding in the graph against tint's decoding of OpenCV's own logits: the same function to rounding.
  torch::Tensor theirs_decoded_by_tint;
  {
    torch::NoGradGuard no_grad;
    theirs_decoded_by_tint = meta.bins.decode(reference.outputs[0], decoding);
  }
  const double decoding_error = max_difference(theirs_decoded_by_tint, reference.outputs[1]);
  // End to end: the logits' differences (up to ~2e-5) are divided by T = 0.38 and weigh bin centres up to ~110 ab
  // units, so the ab differ by up to ~2e-4 (1.6e-4 measured): within 1e-3.
  const double ab_error = max_difference(ab, reference.outputs[1]);
  std::printf(
      "[ onnx     ] pretrained cifar10 decoded: max |tint - OpenCV| %.3g on logits; on ab (up to %.3g) %.3g from the "
      "same logits, %.3g end to end\n",
      logit_error, ab.abs().max().item<double>(), decoding_error, ab_error);
  EXPECT_LT(logit_error, 1e-4);
  EXPECT_LT(decoding_error, 1e-4);
  EXPECT_LT(ab_error, 1e-3);
}

TEST(ColourizerExportErrors, DecodingIsRefusedForPaletteAndModeModels) {
  models::ModelConfig config;
  config.num_filters = 4;
  config.num_colours = 4;
  auto net = models::make_model("unet", config);
  ColourizerInfo info;
  info.source = "test";
  info.net = config;
  info.palette = data::Palette(torch::rand({4, 3}));
  info.decode = true;
  ExportSummary summary;
  EXPECT_EQ(test::error_of([&] { colourizer_onnx(*net, info, summary); }),
            "test: --decode applies to ab-bins models; this one predicts palette colours (the argmax of its logits)");
  info.target = train::ColourTarget::ab_bins;
  info.bins = data::AbBins(torch::tensor({{0.f, 0.f}, {10.f, 0.f}, {0.f, 10.f}, {10.f, 10.f}}),
                           torch::full({4}, 0.25, torch::kFloat64));
  info.decoding.mode = data::AbDecode::Mode;
  EXPECT_EQ(test::error_of([&] { colourizer_onnx(*net, info, summary); }),
            "test: --decode writes the mean or annealed mean; this run decodes by the mode (argmax)");
}

// A network with a layer no exporter knows: the error names the layer and its type, and nothing is written.
class WithDropoutImpl : public models::ColourNetImpl {
 public:
  WithDropoutImpl() : ColourNetImpl("with-dropout") {
    add_layer("block1",
              models::Block(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)), torch::nn::Dropout(0.5)),
              {"input"});
  }
};

TEST(ColourizerExportErrors, AnUnknownLayerIsNamed) {
  auto net = std::make_shared<WithDropoutImpl>();
  ColourizerInfo info;
  info.source = "test";
  info.net.num_colours = 4;
  info.palette = data::Palette(torch::rand({4, 3}));
  ExportSummary summary;
  EXPECT_EQ(test::error_of([&] { colourizer_onnx(*net, info, summary); }),
            "cannot export layer 'block1.1' (torch::nn::DropoutImpl): no ONNX exporter handles it");
}

TEST(ColourizerExportErrors, AMissingCheckpointIsNamedAndNothingIsWritten) {
  test::TempDir tmp("tint-export");
  const auto message = test::error_of([&] { export_colourizer(tmp / "missing.pt", "test", tmp / "out.onnx"); });
  EXPECT_NE(message.find((tmp / "missing.pt").string()), std::string::npos) << message;
  EXPECT_EQ(test::count_lines(message), 0u) << message;
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
}

TEST(ColourizerExportErrors, LogitsThatDoNotMatchThePaletteAreRefused) {
  models::ModelConfig config;
  config.num_filters = 4;
  config.num_colours = 6;
  auto net = models::make_model("unet", config);
  ColourizerInfo info;
  info.source = "test";
  info.net = config;
  info.palette = data::Palette(torch::rand({5, 3}));
  ExportSummary summary;
  EXPECT_EQ(test::error_of([&] { colourizer_onnx(*net, info, summary); }), "test: 6 logits but 5 palette colours");
}

}  // namespace
}  // namespace colourizer_export_test
}  // namespace tint::onnx_export
