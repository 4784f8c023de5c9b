// `tint export` end to end: the shipped colourizers and detector, a fresh training run, and the one-line errors for
// requests it cannot serve. The numbers it prints (nodes, weights, bytes) are checked against onnx's own count of the
// file it wrote and the file's size.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <regex>

#include "onnx_reference.h"
#include "support/small_run.h"
#include "tint/colourize/colourizer.h"
#include "tint/data/image_io.h"
#include "tint/train/checkpoint.h"
#include "tint/train/trainer.h"

namespace tint::test {
namespace export_cli_test {
namespace {
namespace fs = std::filesystem;

// The printed line, "FILE: MODEL, OUTPUTS, opset 13, N nodes, W weights, B bytes", against the file itself.
void expect_summary_is_the_files(const std::string& printed, const fs::path& file, const std::string& model,
                                 const std::string& outputs) {
  static const std::regex line(R"((.*): ([^,]*), (.*), opset (\d+), (\d+) nodes, (\d+) weights, (\d+) bytes\n)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(printed, m, line)) << printed;
  EXPECT_EQ(m[1], file.string());
  EXPECT_EQ(m[2], model);
  EXPECT_EQ(m[3], outputs);
  EXPECT_EQ(m[4], "13");
  const auto reference = run_onnx_reference(file);
  ASSERT_FALSE(reference.json.is_null());
  EXPECT_EQ(std::stoll(m[5]), reference.json.at("nodes").get<int64_t>());
  EXPECT_EQ(std::stoll(m[6]), reference.json.at("weights").get<int64_t>());
  EXPECT_EQ(std::stoll(m[7]), static_cast<int64_t>(fs::file_size(file)));
}

TEST(ExportCli, ShippedColourizersAndDetector) {
  TINT_SKIP_IF_MISSING(missing_onnx_reference());
  TempDir tmp("tint-export-cli");
  struct Case {
    std::string flags, model, outputs;
  };
  for (const auto& c : std::vector<Case>{{"--pretrained cifar10", "unet", "ab-bin logits (244)"},
                                         {"--pretrained horse", "conv-transpose", "palette logits (24)"},
                                         {"--detector", "yolo-fastest-1.1", "2 raw yolo heads"}}) {
    SCOPED_TRACE(c.flags);
    const auto file = tmp / "model.onnx";
    const auto r = run_tint("export " + c.flags + " -o " + quoted(file));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    expect_summary_is_the_files(r.out, file, c.model, c.outputs);
  }
}

class ExportCliRun : public SmallRunTest {};

// A fresh training run exports through --run and --checkpoint to the same bytes, and OpenCV computes the logits of
// the network its checkpoint holds within 1e-4 on the photos.
TEST_F(ExportCliRun, AFreshTrainingRunExportsAndMatchesOpenCV) {
  TINT_SKIP_IF_MISSING(missing_onnx_reference());
  TempDir tmp("tint-export-cli");
  const auto run = tmp / "run";
  const auto trained = run_tint(train_args(run, 1, 100));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto by_run = tmp / "by-run.onnx", by_checkpoint = tmp / "by-checkpoint.onnx";
  const auto r = run_tint("export --run " + quoted(run) + " -o " + quoted(by_run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_summary_is_the_files(r.out, by_run, "conv-transpose", "palette logits (24)");
  const auto c = run_tint("export --checkpoint " + quoted(run / "checkpoint.pt") + " -o " + quoted(by_checkpoint));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // The files differ only in the source they record ("run run" / "checkpoint checkpoint.pt").
  EXPECT_NE(read_file(by_run).find("run run"), std::string::npos);

  train::CheckpointReader reader(run / "checkpoint.pt");
  auto net = train::load_model(reader);
  net->eval();
  const auto input = colourize::shrunk_network_input(data::read_image(test_photo("kodim14.jpg")), 32, 48);
  torch::Tensor ours;
  {
    torch::NoGradGuard no_grad;
    ours = net->forward(input).contiguous();
  }
  for (const auto& file : {by_run, by_checkpoint}) {
    const auto reference = run_onnx_reference(file, input);
    ASSERT_EQ(reference.outputs.size(), 1u);
    const double error = max_difference(ours, reference.outputs[0]);
    std::printf("[ onnx     ] fresh run, %s: max |tint - OpenCV| %.3g\n", file.filename().c_str(), error);
    EXPECT_LT(error, 1e-4);
  }
}

// Each malformed request: exit status 2 (tint's errors) or CLI11's 105-109 (parse errors), one line on stderr that
// names the flag or the file, and no file written.
TEST(ExportCli, MalformedRequestsAreOneLineErrors) {
  TempDir tmp("tint-export-cli");
  fs::create_directories(tmp / "detection-run");
  write_bytes(tmp / "detection-run" / "config.json", R"({"kind": "detection"})");
  fs::create_directories(tmp / "colour-run");
  write_bytes(tmp / "colour-run" / "config.json", R"({"kind": "colourization"})");
  const auto out = tmp / "out.onnx";
  struct Case {
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {"--pretrained nosuch -o " + quoted(out), "--pretrained"},
      {"--run " + quoted(tmp / "detection-run") + " -o " + quoted(out), "--run"},
      {"--detector-run " + quoted(tmp / "colour-run") + " -o " + quoted(out), "--detector-run"},
      {"--run " + quoted(tmp / "missing") + " -o " + quoted(out), (tmp / "missing" / "checkpoint.pt").string()},
      {"--checkpoint " + quoted(tmp / "missing.pt") + " -o " + quoted(out), (tmp / "missing.pt").string()},
      {"--cfg " + quoted(tmp / "a.cfg") + " -o " + quoted(out), "--cfg and --weights go together"},
      {"--pretrained horse --detector -o " + quoted(out), "excludes"},
      {"-o " + quoted(out), "say which model"},
      {"--pretrained horse", "--out"},
      {"--pretrained horse -o " + quoted(tmp / "no-such-dir" / "x.onnx"), (tmp / "no-such-dir").string()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const auto r = run_tint("export " + c.args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
}

}  // namespace
}  // namespace export_cli_test
}  // namespace tint::test
