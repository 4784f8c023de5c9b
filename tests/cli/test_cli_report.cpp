// End-to-end: `tint report` on two tiny real runs of `tint train`, on a detection run directory written by hand,
// and its one-line errors.
#include <algorithm>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"
#include "tint/detect/fine_tune_config.h"

namespace tint {
namespace {
namespace fs = std::filesystem;
using test::run_tint;

const std::string kTiny = "--num-filters 8 --train-limit 200 --val-limit 50 --batch-size 50 --epochs 2 --samples 4";

// The last line of a metrics.csv as numbers: epoch, train_loss, val_loss, val_acc, seconds.
std::vector<double> last_metrics(const fs::path& csv) {
  std::istringstream in(read_file(csv));
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  std::vector<double> values;
  std::istringstream cells(last);
  for (std::string cell; std::getline(cells, cell, ',');) values.push_back(std::stod(cell));
  return values;
}

double total_seconds(const fs::path& csv) {
  std::istringstream in(read_file(csv));
  std::string line;
  std::getline(in, line);  // header
  double total = 0.0;
  while (std::getline(in, line)) {
    if (!line.empty()) total += std::stod(line.substr(line.rfind(',') + 1));
  }
  return total;
}

// Trains two tiny runs in `tmp`: k3 and k5 (kernel 3 and 5), with one palette.
void train_runs(const test::TempDir& tmp) {
  auto p = run_tint("palette --max-iterations 20 --out '" + tmp.path().string() + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::string palette = " --palette '" + (tmp / "palette.json").string() + "'";
  for (const char* kernel : {"3", "5"}) {
    auto r = run_tint(fmt::format("train {} --kernel {}{} --out '{}'", kTiny, kernel, palette,
                                  (tmp / (std::string("k") + kernel)).string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST(CliReport, TwoRunsGiveOneSelfContainedPageWithTheirNumbers) {
  test::TempDir tmp("tint-cli-report");
  train_runs(tmp);
  ASSERT_FALSE(HasFatalFailure());
  const fs::path out = tmp / "report.html";
  auto r =
      run_tint(fmt::format("report '{}' '{}' -o '{}'", (tmp / "k3").string(), (tmp / "k5").string(), out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report: 2 runs -> " + out.string()), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");  // nothing left out: every figure of a real run is there
  const std::string html = read_file(out);

  // Images: 2 comparison plots, then per run the training curve and the first and last sample grids.
  size_t images = 0, inlined = 0;
  for (size_t at = html.find("<img "); at != std::string::npos; at = html.find("<img ", at + 1)) {
    ++images;
    if (html.compare(at, 37, "<img src=\"data:image/png;base64,iVBOR") == 0) ++inlined;  // base64 of a PNG signature
  }
  EXPECT_EQ(images, 2u + 2u * 3u);
  EXPECT_EQ(inlined, images);
  for (const char* external : {"http:", "https:", "file:", "<script", "<link"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }

  // Comparison rows: name, model, kernel, batch size, epochs, then the final numbers of each metrics.csv.
  for (const char* kernel : {"3", "5"}) {
    const fs::path run = tmp / (std::string("k") + kernel);
    auto m = last_metrics(run / "metrics.csv");
    ASSERT_EQ(m.size(), 5u);
    const std::string row = fmt::format(
        "<td><a href=\"#run-{}\">k{}</a></td><td>conv-transpose</td><td class=\"num\">{}</td><td class=\"num\">50</td>"
        "<td class=\"num\">2</td><td class=\"num\">{:.4f}</td>",
        kernel[0] == '3' ? 1 : 2, kernel, kernel, m[1]);
    EXPECT_NE(html.find(row), std::string::npos) << row;
    for (const auto& cell : {fmt::format("{:.4f}</td>", m[2]), fmt::format("{:.2f}</td>", m[3]),
                             fmt::format("{:.1f}</td></tr>", total_seconds(run / "metrics.csv"))}) {
      EXPECT_NE(html.find(cell, html.find(row)), std::string::npos) << cell;
    }
  }
}

TEST(CliReport, NotARunIsOneLineExitTwoNamingIt) {
  test::TempDir tmp("tint-cli-report");
  const fs::path out = tmp / "bad.html";
  auto p = run_tint("palette --max-iterations 5 --out '" + (tmp / "palette").string() + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  // A palette folder holds palette.json but no config.json.
  for (const auto& [dir, why] : std::vector<std::pair<fs::path, std::string>>{
           {tmp / "palette", "no config.json"}, {tmp / "nonexistent", "no such directory"}}) {
    auto r = run_tint(fmt::format("report '{}' -o '{}'", dir.string(), out.string()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(dir.string() + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
  auto none = run_tint("report");
  EXPECT_EQ(none.exit_code, 2) << none.err;
}

TEST(CliReport, DetectionRunGetsItsSectionAndADamagedMetricsFileIsOneLineNamingIt) {
  test::TempDir tmp("tint-cli-report");
  // A detection run as `tint detect train` leaves it after 2 epochs (detect/fine_tune.h), written by hand.
  const fs::path run = tmp / "raccoon-ft";
  fs::create_directories(run);
  detect::FineTuneConfig config;
  config.data = "/data/raccoon";
  config.freeze = 10;
  config.epochs = 2;
  write_file_atomic(run / "config.json", detect::to_json(config).dump(2) + "\n");
  write_file_atomic(run / "model.cfg", "[net]\nwidth=320\nheight=320\nchannels=3\n");
  write_file_atomic(run / "classes.names", "raccoon\n");
  const std::string header = "epoch,box_loss,obj_loss,cls_loss,train_loss,map50,map50_95,precision,recall,seconds\n";
  write_file_atomic(run / "metrics.csv", header +
                                             "0,nan,nan,nan,nan,0.5,0.25,1,2,3\n"
                                             "1,3.5,1.5,0.5,5.5,40.126,20.004,50,40,30\n"
                                             "2,3.25,1.25,0.25,4.75,58.7654,27.1234,60,55,31\n");
  for (const char* png :
       {"training_curve.png", "predictions_epoch_00.jpg", "predictions_epoch_01.jpg", "predictions_epoch_02.jpg"}) {
    data::write_png(run / png, torch::rand({3, 8, 12}));
  }
  const fs::path out = tmp / "report.html";
  auto r = run_tint(fmt::format("report '{}' -o '{}'", run.string(), out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("report: 1 run -> " + out.string()), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");  // every file of the run is there
  const std::string html = read_file(out);
  EXPECT_NE(html.find("<h2>Detection run: raccoon-ft</h2>"), std::string::npos);
  // Before training (row 0) and after the last epoch, as the CSV's numbers rounded to 2 decimals by hand.
  EXPECT_NE(html.find("<tr><td>before training</td><td class=\"num\">0</td><td class=\"num\">0.50</td>"
                      "<td class=\"num\">0.25</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>after the last epoch</td><td class=\"num\">2</td><td class=\"num\">58.77</td>"
                      "<td class=\"num\">27.12</td>"),
            std::string::npos);
  // The training curve and the predictions before and after, inlined PNGs.
  size_t images = 0, inlined = 0;
  for (size_t at = html.find("<img "); at != std::string::npos; at = html.find("<img ", at + 1)) {
    ++images;
    if (html.compare(at, 37, "<img src=\"data:image/png;base64,iVBOR") == 0) ++inlined;
  }
  EXPECT_EQ(images, 3u);
  EXPECT_EQ(inlined, images);

  write_file_atomic(run / "metrics.csv",
                    header + "0,nan,nan,nan,nan,0.5,0.25,1,2,3\n1,3.5,1.5,0.5,5.5,40,oops,50,40,30\n");
  fs::remove(out);
  auto bad = run_tint(fmt::format("report '{}' -o '{}'", run.string(), out.string()));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  EXPECT_NE(bad.err.find((run / "metrics.csv").string() + ":3: 'oops' is not a number"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace tint
