// The HTML report: escaping, base64 against RFC 4648's vectors, every image inlined, nothing external, and the
// comparison table's numbers equal to those in the metrics.csv files written here; detection runs (alone and mixed
// with colourization runs) with their numbers rounded by hand from the metrics.csv written here.
#include <algorithm>
#include <regex>
#include <set>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/image_io.h"
#include "tint/detect/fine_tune_config.h"
#include "tint/pages/html_report.h"
#include "tint/report/html.h"
#include "tint/report/plot.h"

namespace tint::pages {
using namespace tint::report;
using train::read_metrics_csv;
namespace {
namespace fs = std::filesystem;

TEST(Base64, MatchesRfc4648TestVectors) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : vectors) EXPECT_EQ(base64_encode(in), out) << in;
  // Bytes above 0x7f and the last two alphabet characters (computed with Python's base64.b64encode).
  EXPECT_EQ(base64_encode(std::string("\x00\xff\xfe\xfb\xef", 5)), "AP/+++8=");
}

TEST(InlineImage, ReadsPngSizeAndRejectsOtherFiles) {
  test::TempDir tmp;
  data::write_png(tmp / "a.png", torch::rand({3, 3, 5}));  // (C, H, W): 5 wide, 3 high
  auto png = read_inline_image(tmp / "a.png");
  EXPECT_EQ(png.mime, "image/png");
  EXPECT_EQ(png.width, 5);
  EXPECT_EQ(png.height, 3);
  EXPECT_EQ(data_uri(png), "data:image/png;base64," + base64_encode(read_file(tmp / "a.png")));
  test::write_bytes(tmp / "b.jpg", std::string("\xff\xd8\xff\xe0 rest", 9));
  EXPECT_EQ(read_inline_image(tmp / "b.jpg").mime, "image/jpeg");
  test::write_bytes(tmp / "c.png", "GIF89a not a png");
  try {
    read_inline_image(tmp / "c.png");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.png"), std::string::npos) << e.what();
  }
}

// A run directory as `tint train` writes it, with chosen numbers and small images.
struct FakeRun {
  std::string model = "conv-transpose";
  int kernel = 3;
  int batch_size = 100;
  int planned_epochs = 3;
  std::vector<train::EpochMetrics> metrics;
  int samples = 0;
};

void write_fake_run(const fs::path& dir, const FakeRun& f) {
  fs::create_directories(dir);
  train::TrainConfig c;
  c.model = f.model;
  c.net.kernel = f.kernel;
  c.batch_size = f.batch_size;
  c.epochs = f.planned_epochs;
  write_file_atomic(dir / "config.json", train::to_json(c).dump(2));
  train::metrics_table(f.metrics).save(dir / "metrics.csv");
  torch::manual_seed(static_cast<uint64_t>(f.kernel));
  data::write_png(dir / "training_curve.png", torch::rand({3, 20, 30}));
  for (int e = 1; e <= f.samples; ++e) {
    data::write_png(dir / fmt::format("samples_epoch_{:02d}.png", e), torch::rand({3, 10, 16}));
  }
}

// Values of every `attribute="..."` in the page. Scanned by hand: std::regex recurses per character and overflows
// the stack on a data: URI of a few hundred kilobytes.
std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  const std::string key = " " + attribute + "=\"";
  for (size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const size_t start = at + key.size();
    values.push_back(html.substr(start, html.find('"', start) - start));
  }
  return values;
}

// The <td> texts of each row of the first <table class="NAME">, with tags inside cells removed.
std::vector<std::vector<std::string>> table_cells(const std::string& html, const std::string& name) {
  const auto start = html.find("<table class=\"" + name + "\">");
  EXPECT_NE(start, std::string::npos) << name;
  if (start == std::string::npos) return {};
  const std::string table = html.substr(start, html.find("</table>", start) - start);
  std::vector<std::vector<std::string>> rows;
  std::regex row_re("<tr[^>]*>(.*?)</tr>"), cell_re("<td[^>]*>(.*?)</td>"), tag_re("<[^>]*>");
  for (auto r = std::sregex_iterator(table.begin(), table.end(), row_re); r != std::sregex_iterator(); ++r) {
    const std::string row = (*r)[1].str();
    std::vector<std::string> cells;
    for (auto c = std::sregex_iterator(row.begin(), row.end(), cell_re); c != std::sregex_iterator(); ++c) {
      cells.push_back(std::regex_replace((*c)[1].str(), tag_re, ""));
    }
    if (!cells.empty()) rows.push_back(cells);
  }
  return rows;
}

// Two runs: the second stopped after 2 of 3 epochs and has a name that needs escaping.
struct TwoRuns {
  test::TempDir tmp{"tint-report"};
  fs::path a = tmp / "alpha";
  fs::path b = tmp / "beta<b>&'x'";
  FakeRun fa{"conv-transpose",
             3,
             100,
             3,
             {{1, 2.5, 2.25, 30.125, 10.5}, {2, 1.9, 1.7654321, 41.23456, 11.26}, {3, 1.7, 1.6543219, 44.5612, 12.01}},
             3};
  FakeRun fb{"unet", 5, 25, 3, {{1, 2.0, 1.5, 51.5, 3.0}, {2, 1.12345678, 1.25, 55.8751, 4.0}}, 2};
  TwoRuns() {
    write_fake_run(a, fa);
    write_fake_run(b, fb);
  }
};

TEST(HtmlReport, InlinesEveryImageAndLoadsNothingFromOutside) {
  TwoRuns runs;
  ReportOptions options;
  options.inputs = {runs.a, runs.b};
  auto result = render_report(options);
  const std::string& html = result.html;
  EXPECT_EQ(result.runs, 2);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Every PNG of both runs is in the page, byte for byte.
  for (const auto& dir : {runs.a, runs.b}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".png") continue;
      EXPECT_NE(html.find(data_uri(read_inline_image(entry.path()))), std::string::npos) << entry.path();
    }
  }
  // Images: per run the curve, the first and the last samples, and a gallery of every epoch when there are more
  // than two; the comparison adds two gnuplot plots.
  const size_t plots = gnuplot_available() ? 2 : 0;
  const auto sources = attribute_values(html, "src");
  EXPECT_EQ(sources.size(), plots + (1 + 2 + 3) + (1 + 2));
  for (const auto& src : sources) EXPECT_EQ(src.rfind("data:image/png;base64,", 0), 0u) << src.substr(0, 60);
  for (const auto& href : attribute_values(html, "href")) EXPECT_EQ(href.rfind("#", 0), 0u) << href;
  for (const char* external : {"http:", "https:", "file:", "<script", "<link", "@import", "url(", "<iframe"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  if (plots == 0) {
    EXPECT_FALSE(result.warnings.empty());
  } else {
    EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  }
}

TEST(HtmlReport, EscapesTextFromFiles) {
  TwoRuns runs;
  auto html = render_report({{runs.a, runs.b}, "Runs <of> today & 'tomorrow'"}).html;
  EXPECT_NE(html.find("beta&lt;b&gt;&amp;&#39;x&#39;"), std::string::npos);
  EXPECT_EQ(html.find("beta<b>"), std::string::npos);
  EXPECT_NE(html.find("<title>Runs &lt;of&gt; today &amp; &#39;tomorrow&#39;</title>"), std::string::npos);
  EXPECT_EQ(html.find("<of>"), std::string::npos);
}

TEST(HtmlReport, ComparisonTableHoldsTheFinalNumbersOfEachMetricsCsv) {
  TwoRuns runs;
  auto html = render_report({{runs.a, runs.b}}).html;
  auto rows = table_cells(html, "comparison");
  ASSERT_EQ(rows.size(), 2u);
  // run, model, kernel, batch size, epochs, final train loss, val loss, val accuracy, total seconds: the last rows
  // written to the two metrics.csv files above, rounded by hand (no value lies on a rounding tie); seconds summed.
  EXPECT_EQ(rows[0], (std::vector<std::string>{"alpha", "conv-transpose", "3", "100", "3", "1.7000", "1.6543", "44.56",
                                               "33.8"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"beta&lt;b&gt;&amp;&#39;x&#39;", "unet", "5", "25", "2", "1.1235",
                                               "1.2500", "55.88", "7.0"}));
  // The comparison comes first, and marks the better run's numbers.
  EXPECT_LT(html.find("id=\"comparison\""), html.find("id=\"run-1\""));
  EXPECT_NE(html.find("<td class=\"num best\">1.2500</td><td class=\"num best\">55.88</td>"), std::string::npos);
  // Each run's own metrics table, with the unfinished run's "2 of 3" epochs.
  auto metrics = table_cells(html, "metrics");
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[1], (std::vector<std::string>{"2", "1.9000", "1.7654", "41.23", "11.3"}));
  EXPECT_NE(html.find("2 of 3"), std::string::npos);
}

TEST(HtmlReport, OneRunHasNoComparisonAndShowsItsConfig) {
  TwoRuns runs;
  auto html = render_report({{runs.a}}).html;
  EXPECT_EQ(html.find("id=\"comparison\""), std::string::npos);
  auto config = table_cells(html, "config");
  auto expected = train::to_json(train::TrainConfig{});
  ASSERT_EQ(config.size(), expected.size());
  EXPECT_EQ(config[0], (std::vector<std::string>{"batch_size", "100"}));  // keys sorted, as in config.json
  // The best validation accuracy (44.5612 at epoch 3) and the final epoch stand out.
  EXPECT_NE(html.find("best val. accuracy (epoch 3)"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"final\"><td class=\"num\">3</td>"), std::string::npos);
}

// ab-bins runs show their colour scores (from metrics.csv) in the run's boxes, its metrics table and the comparison;
// a palette run beside them gets dashes.
TEST(HtmlReport, AbBinsRunsShowTheirColourScores) {
  test::TempDir tmp("tint-report-colour");
  FakeRun ab{"unet", 3, 100, 2, {{1, 4.1, 3.9, 19.5, 80.0}, {2, 3.5, 3.52345, 19.8, 81.0}}, 1};
  ab.metrics[0].colour = train::ColourScores{88.876, 65.6474, 22.4939, 34.5785, 34.051};
  ab.metrics[1].colour = train::ColourScores{88.9297, 66.3323, 22.4236, 35.9093, 34.051};
  write_fake_run(tmp / "ab", ab);
  FakeRun palette{"unet", 3, 100, 1, {{1, 2.0, 1.9, 40.0, 20.0}}, 1};
  write_fake_run(tmp / "palette", palette);
  const auto html = render_report({{tmp / "ab", tmp / "palette"}}).html;
  auto rows = table_cells(html, "comparison");
  ASSERT_EQ(rows.size(), 2u);
  // The values written above, rounded by hand to 2 decimals.
  EXPECT_EQ(std::vector<std::string>(rows[0].begin() + 8, rows[0].end()),
            (std::vector<std::string>{"88.93", "66.33", "22.42", "35.91 (34.05)", "161.0"}));
  EXPECT_EQ(std::vector<std::string>(rows[1].begin() + 8, rows[1].end()),
            (std::vector<std::string>{"-", "-", "-", "-", "20.0"}));
  auto metrics = table_cells(html, "metrics");  // the ab-bins run's first
  ASSERT_GE(metrics.size(), 2u);
  EXPECT_EQ(metrics[0], (std::vector<std::string>{"1", "4.1000", "3.9000", "19.50", "88.88", "65.65", "22.49",
                                                  "34.58 (34.05)", "80.0"}));
  EXPECT_NE(html.find("88.93 % / 66.33 %"), std::string::npos);
  EXPECT_NE(html.find("35.91 (34.05)"), std::string::npos);
}

TEST(HtmlReport, SpreadsSampleEpochsWhenLimited) {
  test::TempDir tmp;
  FakeRun f;
  f.planned_epochs = 7;
  for (int e = 1; e <= 7; ++e) f.metrics.push_back({e, 1.0, 1.0, 50.0, 1.0});
  f.samples = 7;
  write_fake_run(tmp / "run", f);
  ReportOptions options{{tmp / "run"}};
  options.max_sample_epochs = 3;
  auto html = render_report(options).html;
  EXPECT_NE(html.find("3 of 7 epochs"), std::string::npos);
  for (int e : {1, 4, 7}) {
    const auto uri = data_uri(read_inline_image(tmp / "run" / fmt::format("samples_epoch_{:02d}.png", e)));
    EXPECT_NE(html.find(uri), std::string::npos) << e;
  }
  for (int e : {2, 3, 5, 6}) {
    const auto uri = data_uri(read_inline_image(tmp / "run" / fmt::format("samples_epoch_{:02d}.png", e)));
    EXPECT_EQ(html.find(uri), std::string::npos) << e;
  }
  options.max_sample_epochs = 1;
  EXPECT_THROW(render_report(options), Error);
}

TEST(HtmlReport, SweepFolderShowsItsFiguresThenItsRunsInSummaryOrder) {
  test::TempDir tmp;
  const fs::path sweep = tmp / "sweep-kernel";
  // As tint sweep writes it: summary.csv with the setting as first column, one folder "<setting>-<value>" per run.
  FakeRun k5{"conv-transpose", 5, 100, 1, {{1, 2.0, 1.9, 40.0, 5.0}}, 1};
  FakeRun k3{"conv-transpose", 3, 100, 1, {{1, 2.1, 2.0, 38.0, 4.0}}, 1};
  write_fake_run(sweep / "kernel-5", k5);
  write_fake_run(sweep / "kernel-3", k3);
  fs::create_directories(sweep / "kernel-7");  // started, killed in its first epoch: config.json only
  fs::copy_file(sweep / "kernel-3" / "config.json", sweep / "kernel-7" / "config.json");
  write_file_atomic(sweep / "summary.csv",
                    "kernel,epochs,train_loss,val_loss,val_acc,seconds\n5,1,2,1.9,40,5.000\n3,1,2.1,2,38,4.000\n");
  for (const char* f : {"loss_curves.png", "accuracy_curves.png", "samples.png"}) {
    data::write_png(sweep / f, torch::rand({3, 12, 12}));
  }
  auto result = render_report({{sweep}});
  const auto& html = result.html;
  EXPECT_EQ(result.runs, 2);
  for (const char* f : {"loss_curves.png", "accuracy_curves.png", "samples.png"}) {
    EXPECT_NE(html.find(data_uri(read_inline_image(sweep / f))), std::string::npos) << f;
  }
  auto summary = table_cells(html, "summary");
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0], (std::vector<std::string>{"5", "1", "2.0000", "1.9000", "40.00", "5.0"}));
  const auto pos5 = html.find("<h2>Run: sweep-kernel/kernel-5</h2>");
  const auto pos3 = html.find("<h2>Run: sweep-kernel/kernel-3</h2>");
  ASSERT_NE(pos5, std::string::npos);
  ASSERT_NE(pos3, std::string::npos);
  EXPECT_LT(html.find("<h2>Sweep: sweep-kernel</h2>"), pos5);
  EXPECT_LT(pos5, pos3);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("kernel-7"), std::string::npos) << result.warnings[0];
  EXPECT_NE(html.find("kernel-7"), std::string::npos);  // named in the page's "left out" box
}

TEST(HtmlReport, RefusesFoldersThatAreNotRunsNamingThem) {
  test::TempDir tmp;
  TwoRuns runs;
  fs::create_directories(tmp / "empty");
  fs::create_directories(tmp / "half");
  fs::copy_file(runs.a / "config.json", tmp / "half" / "config.json");
  const std::pair<fs::path, std::string> cases[] = {
      {tmp / "empty", "no config.json"}, {tmp / "half", "no metrics.csv"}, {tmp / "missing", "no such directory"}};
  for (const auto& [dir, why] : cases) {
    try {
      render_report({{runs.a, dir}});
      FAIL() << dir;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
      EXPECT_NE(message.find(why), std::string::npos) << message;
    }
  }
}

TEST(HtmlReport, BadMetricsCsvNamesFileAndLine) {
  test::TempDir tmp;
  write_file_atomic(tmp / "metrics.csv", "epoch,train_loss,val_loss,val_acc,seconds\n1,2.5,2.2,30,1\n2,oops,2,31,1\n");
  try {
    read_metrics_csv(tmp / "metrics.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.csv:3: column 'train_loss' holds 'oops'"), std::string::npos)
        << e.what();
  }
  write_file_atomic(tmp / "metrics.csv", "epoch,train_loss,val_acc,seconds\n1,2.5,30,1\n");
  EXPECT_THROW(read_metrics_csv(tmp / "metrics.csv"), Error);
  // Column order does not matter; quoted cells are read as text.
  write_file_atomic(tmp / "metrics.csv", "seconds,\"val_acc\",val_loss,train_loss,epoch\n4,50.5,1.25,1.5,7\n");
  auto m = read_metrics_csv(tmp / "metrics.csv");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].epoch, 7);
  EXPECT_DOUBLE_EQ(m[0].val_acc, 50.5);
  EXPECT_DOUBLE_EQ(m[0].seconds, 4.0);
}

TEST(HtmlReport, WritesAtomicallyAndKeepsTheOldPageOnFailure) {
  TwoRuns runs;
  const fs::path out = runs.tmp / "report.html";
  write_report({{runs.a}}, out);
  const std::string first = read_file(out);
  EXPECT_NE(first.find("alpha"), std::string::npos);
  EXPECT_THROW(write_report({{runs.a, runs.tmp / "missing"}}, out), Error);
  EXPECT_EQ(read_file(out), first);
}

// ---- detection runs --------------------------------------------------------------------------------------------

// A detection run directory as `tint detect train` writes it (detect/fine_tune.h), with chosen numbers and small
// images. metrics.csv is written by hand in fine_tune's format: row 0 is the model before training, losses "nan".
struct FakeDetectRun {
  detect::FineTuneConfig config;
  std::string metrics;  // the rows after the header
  std::vector<std::string> classes{"raccoon"};
  std::vector<int> prediction_epochs;
  bool curve = true;
};

constexpr const char* kDetectHeader =
    "epoch,box_loss,obj_loss,cls_loss,train_loss,map50,map50_95,precision,recall,seconds\n";

void write_fake_detect_run(const fs::path& dir, const FakeDetectRun& f) {
  fs::create_directories(dir);
  write_file_atomic(dir / "config.json", detect::to_json(f.config).dump(2) + "\n");
  write_file_atomic(dir / "model.cfg", "[net]\nwidth=320\nheight=320\nchannels=3\n");
  std::string names;
  for (const auto& c : f.classes) names += c + "\n";
  write_file_atomic(dir / "classes.names", names);
  write_file_atomic(dir / "metrics.csv", kDetectHeader + f.metrics);
  torch::manual_seed(f.config.seed);
  if (f.curve) data::write_png(dir / "training_curve.png", torch::rand({3, 20, 30}));
  for (int e : f.prediction_epochs) {
    data::write_png(dir / fmt::format("predictions_epoch_{:02d}.jpg", e), torch::rand({3, 16, 24}));
  }
}

// Fine-tuning Yolo-Fastest 1.1-xl on a raccoon set with the first 10 layers frozen: 3 epochs, the best mAP@0.5 at
// epoch 2, the best mAP@0.5:0.95 at the last. No number below lies on a rounding tie.
FakeDetectRun raccoon_run() {
  FakeDetectRun f;
  f.config.data = "/data/raccoon";
  f.config.cfg = "/models/yolo-fastest-1.1-xl.cfg";
  f.config.weights = "/models/yolo-fastest-1.1-xl.weights";
  f.config.names = "/data/raccoon/classes.names";
  f.config.freeze = 10;
  f.config.epochs = 3;
  f.config.batch_size = 8;
  f.config.optimizer = "sgd";
  f.config.momentum = 0.937;
  f.config.learning_rate = 0.01;
  f.config.seed = 11;
  f.metrics =
      "0,nan,nan,nan,nan,25.43219,12.34567,40.5,30.25,2.5\n"
      "1,3.25,1.5,0.75,5.5,41.23456,18.76543,50.5,40.25,30.125\n"
      "2,2.51234,1.25,0.5,4.26234,63.45678,29.87654,70.12,60.37,29.5\n"
      "3,2.25,1.125,0.375,3.75,61.12345,31.23456,72.5,58.8,29.25\n";
  f.prediction_epochs = {0, 1, 2, 3};
  return f;
}

// The default model on COCO128, stopped after 2 of 5 epochs.
FakeDetectRun coco_run() {
  FakeDetectRun f;
  f.config.data = "/data/coco128";
  f.config.epochs = 5;
  f.config.seed = 12;
  f.metrics =
      "0,nan,nan,nan,nan,30.98765,15.4321,50,45,4\n"
      "1,4.5,2.5,1.5,8.5,33.3333,16.6666,52,46,60\n"
      "2,4.25,2.25,1.25,7.75,35.55555,17.7777,53,47,61\n";
  f.classes = {"person", "bicycle", "car", "motorbike", "aeroplane", "bus", "train", "truck"};
  f.prediction_epochs = {0, 1, 2};
  return f;
}

// Opening and closing tags of `tag` balance, never closing more than are open: the elements the report nests are
// well formed.
void expect_balanced(const std::string& html, const std::string& tag) {
  int depth = 0;
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const bool closing = html.compare(at + 1, 1, "/") == 0;
    const size_t name = at + 1 + (closing ? 1 : 0);
    if (html.compare(name, tag.size(), tag) != 0) continue;
    const char next = html[name + tag.size()];
    if (next != '>' && next != ' ') continue;
    depth += closing ? -1 : 1;
    ASSERT_GE(depth, 0) << "</" << tag << "> without an opening tag at " << at;
  }
  EXPECT_EQ(depth, 0) << tag;
}

void expect_valid_page(const std::string& html) {
  for (const char* tag :
       {"html", "head", "body", "main",   "header",     "nav",     "ol",      "ul", "li", "section", "div", "table",
        "tr",   "td",   "th",   "figure", "figcaption", "details", "summary", "p",  "h2", "h3",      "a"}) {
    expect_balanced(html, tag);
  }
  // Ids are unique and every link points at one.
  const auto ids = attribute_values(html, "id");
  const std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  for (const auto& href : attribute_values(html, "href")) {
    ASSERT_EQ(href.rfind("#", 0), 0u) << href;
    EXPECT_EQ(unique.count(href.substr(1)), 1u) << href;
  }
  for (const auto& src : attribute_values(html, "src")) {
    EXPECT_EQ(src.rfind("data:image/png;base64,", 0), 0u) << src.substr(0, 60);
  }
}

std::string uri_of(const fs::path& png) { return data_uri(read_inline_image(png)); }

TEST(HtmlReportDetection, RunShowsItsSettingsMapBeforeAndAfterAndItsImages) {
  test::TempDir tmp("tint-report");
  const fs::path dir = tmp / "raccoon-ft";
  const auto f = raccoon_run();
  write_fake_detect_run(dir, f);
  auto result = render_report({{dir}});
  const std::string& html = result.html;
  EXPECT_EQ(result.runs, 1);
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  EXPECT_NE(html.find("<h2>Detection run: raccoon-ft</h2>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#detect-run-1\">raccoon-ft (detection)</a>"), std::string::npos);
  EXPECT_EQ(html.find("id=\"comparison\""), std::string::npos);  // one run: no overview
  expect_valid_page(html);

  // mAP before training (row 0), after the last epoch (3), and the best epochs, rounded by hand from the rows above.
  auto map = table_cells(html, "detect-map");
  ASSERT_EQ(map.size(), 4u);
  EXPECT_EQ(map[0], (std::vector<std::string>{"before training", "0", "25.43", "12.35", "40.50", "30.25"}));
  EXPECT_EQ(map[1], (std::vector<std::string>{"after the last epoch", "3", "61.12", "31.23", "72.50", "58.80"}));
  EXPECT_EQ(map[2], (std::vector<std::string>{"best mAP@0.5", "2", "63.46", "29.88", "70.12", "60.37"}));
  EXPECT_EQ(map[3], (std::vector<std::string>{"best mAP@0.5:0.95", "3", "61.12", "31.23", "72.50", "58.80"}));
  EXPECT_NE(html.find("best mAP@0.5 (epoch 2)"), std::string::npos);
  EXPECT_NE(html.find("91.4 s"), std::string::npos);  // 2.5 + 30.125 + 29.5 + 29.25 seconds

  // Every epoch, row 0 without losses; the best mAPs highlighted.
  auto metrics = table_cells(html, "detect-metrics");
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0], (std::vector<std::string>{"0", "&mdash;", "&mdash;", "&mdash;", "&mdash;", "25.43", "12.35",
                                                  "40.50", "30.25", "2.5"}));
  EXPECT_EQ(metrics[2], (std::vector<std::string>{"2", "2.5123", "1.2500", "0.5000", "4.2623", "63.46", "29.88",
                                                  "70.12", "60.37", "29.5"}));
  EXPECT_NE(html.find("<td class=\"num best\">63.46</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num best\">31.23</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"final\"><td class=\"num\">3</td>"), std::string::npos);

  // The key settings, as set above; config.json in full below them.
  auto settings = table_cells(html, "detect-settings");
  const std::vector<std::vector<std::string>> expected{{"data", "/data/raccoon"},
                                                       {"cfg", "/models/yolo-fastest-1.1-xl.cfg"},
                                                       {"weights", "/models/yolo-fastest-1.1-xl.weights"},
                                                       {"classes", "1: raccoon"},
                                                       {"freeze", "10"},
                                                       {"epochs", "3"},
                                                       {"batch size", "8"},
                                                       {"optimizer", "sgd (momentum 0.937)"},
                                                       {"learning rate", "0.01"}};
  for (const auto& row : expected) {
    EXPECT_NE(std::find(settings.begin(), settings.end(), row), settings.end()) << row[0];
  }
  EXPECT_EQ(table_cells(html, "config").size(), detect::to_json(f.config).size());

  // The training curve and the predictions before training and after the last epoch, inlined; not the others.
  for (const char* png : {"training_curve.png", "predictions_epoch_00.jpg", "predictions_epoch_03.jpg"}) {
    EXPECT_NE(html.find(uri_of(dir / png)), std::string::npos) << png;
  }
  for (const char* png : {"predictions_epoch_01.jpg", "predictions_epoch_02.jpg"}) {
    EXPECT_EQ(html.find(uri_of(dir / png)), std::string::npos) << png;
  }
  EXPECT_EQ(attribute_values(html, "src").size(), 3u);
}

// The latest validation in full (evaluation.json, as fine-tuning writes it, and its confusion matrix picture): COCO's
// AP by size and AR, P, R, F1 and the counts, in %, under the mAP table; a size without truths (null) as a dash. A run
// without the file (written before it existed) shows no such table (the test above).
TEST(HtmlReportDetection, LatestValidationShowsSizesRecallCountsAndTheConfusionMatrix) {
  test::TempDir tmp("tint-report");
  const fs::path dir = tmp / "raccoon-ft";
  write_fake_detect_run(dir, raccoon_run());
  const nlohmann::json evaluation = {
      {"epoch", 3},      {"ap_small", nullptr},  {"ap_medium", 0.123456}, {"ap_large", 0.5},     {"ar1", 0.25},
      {"ar10", 0.375},   {"ar100", 0.4061},      {"conf", 0.25},          {"precision", 0.75},   {"recall", 0.6},
      {"f1", 2.0 / 3.0}, {"true_positives", 12}, {"false_positives", 4},  {"false_negatives", 8}};
  write_file_atomic(dir / "evaluation.json", evaluation.dump(2));
  data::write_png(dir / "confusion_matrix.png", torch::rand({3, 12, 12}));
  auto result = render_report({{dir}});
  const std::string& html = result.html;
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  expect_valid_page(html);
  EXPECT_NE(html.find("<h3>Validation after epoch 3: object sizes, recall, confusion</h3>"), std::string::npos);
  auto coco = table_cells(html, "detect-coco");
  ASSERT_EQ(coco.size(), 1u);
  EXPECT_EQ(coco[0], (std::vector<std::string>{"&mdash;", "12.35", "50.00", "25.00", "37.50", "40.61", "75.00", "60.00",
                                               "66.67", "12", "4", "8"}));
  EXPECT_NE(html.find(uri_of(dir / "confusion_matrix.png")), std::string::npos);
  // A damaged file is named.
  write_file_atomic(dir / "evaluation.json", "{\"epoch\": 3}");
  EXPECT_NE(test::error_of([&] { render_report({{dir}}); }).find("evaluation.json: not a detection run's evaluation"),
            std::string::npos);
}

TEST(HtmlReportDetection, MixedWithColourizationRunsEachKindHasItsOverviewTable) {
  TwoRuns colour;
  const fs::path raccoon = colour.tmp / "raccoon-ft", coco = colour.tmp / "coco-ft";
  write_fake_detect_run(raccoon, raccoon_run());
  write_fake_detect_run(coco, coco_run());
  auto result = render_report({{colour.a, raccoon, colour.b, coco}});
  const std::string& html = result.html;
  EXPECT_EQ(result.runs, 4);
  expect_valid_page(html);
  EXPECT_NE(html.find("<h3>Colourization runs</h3>"), std::string::npos);
  EXPECT_NE(html.find("<h3>Detection runs</h3>"), std::string::npos);

  // The colourization table is unchanged by the detection runs beside it.
  auto rows = table_cells(html, "comparison");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"alpha", "conv-transpose", "3", "100", "3", "1.7000", "1.6543", "44.56",
                                               "33.8"}));
  // run, data, model, freeze, epochs, batch size, mAP@0.5 before/after, mAP@0.5:0.95 before/after, best epoch,
  // total seconds: from the metrics.csv rows written above, rounded by hand.
  auto detect_rows = table_cells(html, "detect-comparison");
  ASSERT_EQ(detect_rows.size(), 2u);
  EXPECT_EQ(detect_rows[0], (std::vector<std::string>{"raccoon-ft", "raccoon", "yolo-fastest-1.1-xl", "10", "3", "8",
                                                      "25.43", "61.12", "12.35", "31.23", "2", "91.4"}));
  EXPECT_EQ(detect_rows[1], (std::vector<std::string>{"coco-ft", "coco128", "Yolo-Fastest 1.1 (default)", "0", "2",
                                                      "16", "30.99", "35.56", "15.43", "17.78", "2", "125.0"}));
  EXPECT_NE(html.find("<td class=\"num best\">61.12</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num best\">31.23</td>"), std::string::npos);
  EXPECT_NE(html.find("2 of 5"), std::string::npos);  // the stopped run's epochs
  EXPECT_NE(html.find("8: person, bicycle, car, motorbike, aeroplane, bus, ..."), std::string::npos);

  // Sections and the navigation follow the inputs' order, the overview first.
  size_t previous = html.find("id=\"comparison\"");
  ASSERT_NE(previous, std::string::npos);
  for (const char* id : {"run-1", "detect-run-1", "run-2", "detect-run-2"}) {
    const size_t at = html.find(fmt::format("id=\"{}\"", id));
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_LT(previous, at) << id;
    previous = at;
  }
  const size_t nav = html.find("<nav>");
  EXPECT_LT(html.find("href=\"#run-1\"", nav), html.find("href=\"#detect-run-1\"", nav));
  EXPECT_LT(html.find("href=\"#detect-run-1\"", nav), html.find("href=\"#run-2\"", nav));
  EXPECT_LT(html.find("href=\"#run-2\"", nav), html.find("href=\"#detect-run-2\"", nav));

  // Colourization: 2 comparison plots, 6 + 3 images; detection: 2 mAP plots, 3 + 3 images.
  const size_t plots = gnuplot_available() ? 4 : 0;
  EXPECT_EQ(attribute_values(html, "src").size(), plots + 9 + 6);
  for (const char* png : {"training_curve.png", "predictions_epoch_00.jpg", "predictions_epoch_02.jpg"}) {
    EXPECT_NE(html.find(uri_of(coco / png)), std::string::npos) << png;
  }
  if (plots > 0) {
    EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
  }
}

TEST(HtmlReportDetection, UntrainedRunAndMissingImagesAreNamedNotSkipped) {
  test::TempDir tmp("tint-report");
  FakeDetectRun untrained = coco_run();
  untrained.metrics = "0,nan,nan,nan,nan,30.98765,15.4321,50,45,4\n";
  untrained.curve = false;  // fine_tune draws it from epoch 1 on
  untrained.prediction_epochs = {0};
  write_fake_detect_run(tmp / "fresh", untrained);
  FakeDetectRun no_last = raccoon_run();
  no_last.prediction_epochs = {0, 1, 2};
  write_fake_detect_run(tmp / "no-last", no_last);
  auto result = render_report({{tmp / "fresh", tmp / "no-last"}});
  const auto& html = result.html;
  expect_valid_page(html);
  auto named = [&](const std::string& text) {
    return std::any_of(result.warnings.begin(), result.warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(named((tmp / "fresh").string() + ": no epoch finished yet"));
  EXPECT_TRUE(named((tmp / "no-last" / "predictions_epoch_03.jpg").string() + ": missing"));
  EXPECT_NE(html.find("predictions_epoch_03.jpg is missing."), std::string::npos);
  auto map = table_cells(html, "detect-map");
  ASSERT_GE(map.size(), 1u);
  EXPECT_EQ(map[0], (std::vector<std::string>{"before training", "0", "30.99", "15.43", "50.00", "45.00"}));
  auto rows = table_cells(html, "detect-comparison");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][7], "&mdash;");  // no "after" for the untrained run
  EXPECT_EQ(rows[0][9], "&mdash;");
}

TEST(HtmlReportDetection, DamagedFilesNameTheFileAndLine) {
  test::TempDir tmp("tint-report");
  const fs::path dir = tmp / "run";
  const fs::path csv = dir / "metrics.csv";
  write_fake_detect_run(dir, raccoon_run());
  const std::string good = read_file(csv);
  const std::pair<std::string, std::string> cases[] = {
      {good + "4,2,1,0.5,3.5,oops,30,70,60,29\n", csv.string() + ":6: 'oops' is not a number"},
      {"epoch,train_loss,val_loss,val_acc,seconds\n1,2.5,2.2,30,1\n", csv.string() + ": not a detection metrics.csv"},
      {kDetectHeader, csv.string() + ": no rows"},
      {std::string(kDetectHeader) + "1,3.25,1.5,0.75,5.5,41,18,50,40,30\n", csv.string() + ":2: epoch 1, expected 0"},
      {std::string(kDetectHeader) + "0,nan,nan,nan,nan,25,12,40,30,2\n1,3,1,0,4,nan,18,50,40,30\n",
       csv.string() + ":3: column 'map50' holds nan"},
      {std::string(kDetectHeader) + "0,nan,nan,nan,nan,25,12,40,30,2\n1,nan,1,0,4,41,18,50,40,30\n",
       csv.string() + ":3: column 'box_loss' holds nan"},  // only the model before training has no losses
      {std::string(kDetectHeader) + "0,nan,nan,nan,nan,25,12,40,30,2\n1,3,1,0\n", csv.string() + ":3: expected 10"},
  };
  const fs::path out = tmp / "report.html";
  for (const auto& [text, message] : cases) {
    write_file_atomic(csv, text);
    const std::string error = test::error_of([&] { write_report({{dir}}, out); });
    EXPECT_NE(error.find(message), std::string::npos) << "got: " << error << "\nexpected: " << message;
    EXPECT_FALSE(fs::exists(out));
  }
  fs::remove(csv);
  std::string error = test::error_of([&] { render_report({{dir}}); });
  EXPECT_NE(error.find(dir.string() + ": not a detection run directory (no metrics.csv)"), std::string::npos) << error;
  write_file_atomic(csv, good);
  write_file_atomic(dir / "config.json", "{\"data\": \"/data/raccoon\", \"frieze\": 10}\n");
  error = test::error_of([&] { render_report({{dir}}); });
  EXPECT_NE(error.find((dir / "config.json").string() + ": unknown key 'frieze'"), std::string::npos) << error;
}

}  // namespace
}  // namespace tint::pages
