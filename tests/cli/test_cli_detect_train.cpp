// End-to-end `tint detect train`: fine-tuning the shipped Yolo-Fastest 1.1 on six raccoon photos (a new class list of
// one class, the first 10 layers frozen), the run directory, `tint detect --run`, refusing to clobber, --resume.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/listening_sockets.h"
#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/image_io.h"

namespace tint::cli_detect_train_test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_tint;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

const fs::path& shipped_dir() {
  static const fs::path dir = test::source_dir() / "data" / "pretrained" / "yolo-fastest-1.1";
  return dir;
}

// A small raccoon job: 6 training and 3 validation photos (Pascal VOC), one class, batches of 3. Its files are written
// to `tmp` and named by absolute paths, or, when `relative`, by their names (for a command run in `tmp`).
std::string raccoon_job(const fs::path& data, const test::TempDir& tmp, bool relative = false) {
  test::write_bytes(tmp / "raccoon.names", "raccoon\n");
  test::write_bytes(tmp / "train.txt",
                    "raccoon-1.jpg\nraccoon-2.jpg\nraccoon-3.jpg\n"
                    "raccoon-4.jpg\nraccoon-5.jpg\nraccoon-6.jpg\n");
  test::write_bytes(tmp / "val.txt", "raccoon-7.jpg\nraccoon-8.jpg\nraccoon-9.jpg\n");
  const auto file = [&](const char* name) { return relative ? q(name) : q(tmp / name); };
  return "detect train --data " + q(data / "raccoon") + " --train-images " + file("train.txt") + " --val-images " +
         file("val.txt") + " --names " + file("raccoon.names") +
         " --batch-size 3 --freeze 10 --preview-images 3 --threads 1";
}

// Runs `tint args` (whose run directory is `run`), sends SIGINT once its first checkpoint exists, and checks that it
// stopped with status 130; returns its stderr.
std::string interrupt_after_first_checkpoint(const std::vector<std::string>& args, const fs::path& run,
                                             const test::TempDir& tmp) {
  test::TintProcess child(args, tmp / "int.out", tmp / "int.err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(run / "checkpoint.pt") && child.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(child.running()) << "the run ended before it could be interrupted: " << read_file(tmp / "int.err");
  child.signal(SIGINT);
  const auto end = child.wait();
  const std::string err = read_file(tmp / "int.err");
  EXPECT_TRUE(end.exited) << "killed by signal " << end.signal;
  EXPECT_EQ(end.exit_code, 130) << err;
  return err;
}

// The first byte at or after `from` where `a` and `b` differ (the shorter length when one is a prefix of the other);
// std::string::npos when they are equal.
size_t first_difference(const std::string& a, const std::string& b, size_t from = 0) {
  if (a == b) return std::string::npos;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = from; i < n; ++i)
    if (a[i] != b[i]) return i;
  return n;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::istringstream s(line);
    for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// metrics.csv without its last column (seconds): what two runs of the same training must agree on.
std::string metrics_without_seconds(const fs::path& run) {
  std::string text;
  for (const auto& row : read_csv(run / "metrics.csv")) {
    EXPECT_EQ(row.size(), 10u);
    for (size_t i = 0; i + 1 < row.size(); ++i) text += row[i] + (i + 2 < row.size() ? "," : "\n");
  }
  return text;
}

// A darknet .cfg as its sections: [type] and key=value pairs, in order.
struct Section {
  std::string type;
  std::map<std::string, std::string> options;
};

std::vector<Section> read_cfg(const fs::path& path) {
  std::vector<Section> sections;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    line.erase(std::remove_if(line.begin(), line.end(), ::isspace), line.end());
    if (line.empty()) continue;
    if (line[0] == '[') {
      sections.push_back({line, {}});
    } else if (!sections.empty() && line.find('=') != std::string::npos) {
      sections.back().options[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    }
  }
  return sections;
}

int option(const Section& s, const std::string& key, int fallback) {
  auto it = s.options.find(key);
  return it == s.options.end() ? fallback : std::stoi(it->second);
}

// Where each of the first `count` darknet layers ends in the .weights values (float index after its last value),
// computed from the cfg as darknet lays them out: a convolution holds biases (+ BN gamma, mean, variance) and
// filters x (in / groups) x size^2 weights. Only the layer types that open Yolo-Fastest are handled.
std::vector<int64_t> layer_ends(const fs::path& cfg, int count) {
  const auto sections = read_cfg(cfg);
  int64_t channels = option(sections.at(0), "channels", 3), end = 0;
  std::vector<int64_t> ends;
  for (int i = 0; i < count; ++i) {
    const Section& s = sections.at(size_t(i) + 1);
    if (s.type == "[convolutional]") {
      const int64_t filters = option(s, "filters", 1), size = option(s, "size", 1), groups = option(s, "groups", 1);
      end += filters * (option(s, "batch_normalize", 0) ? 4 : 1) + filters * (channels / groups) * size * size;
      channels = filters;
    } else if (s.type != "[shortcut]" && s.type != "[dropout]") {
      ADD_FAILURE() << "layer " << i << ": " << s.type << " not handled by this test";
    }
    ends.push_back(end);
  }
  return ends;
}

TEST(CliDetectTrain, RunDirectoryHoldsTheFineTunedModelAndItDetects) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  const fs::path run = tmp / "run";
  auto r = run_tint(raccoon_job(data, tmp) + " --epochs 1 -o " + q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"config.json", "metrics.csv", "model.cfg", "model.weights", "classes.names", "checkpoint.pt",
                        "predictions_epoch_00.jpg", "predictions_epoch_01.jpg", "training_curve.png", "evaluation.json",
                        "confusion_matrix.png"}) {
    EXPECT_TRUE(fs::is_regular_file(run / f)) << f;
  }
  // The latest validation in full: epoch 1's, the mAP metrics.csv holds (in %), a matrix of one class and background.
  const json evaluation = json::parse(read_file(run / "evaluation.json"));
  EXPECT_EQ(evaluation.at("epoch"), 1);
  EXPECT_EQ(evaluation.at("confusion_matrix").at("labels"), json({"raccoon", "background"}));
  EXPECT_TRUE(evaluation.contains("ar100"));
  EXPECT_EQ(read_file(run / "classes.names"), "raccoon\n");
  const json config = json::parse(read_file(run / "config.json"));
  EXPECT_EQ(config.at("freeze"), 10);
  EXPECT_EQ(config.at("epochs"), 1);
  EXPECT_EQ(config.at("batch_size"), 3);
  EXPECT_EQ(config.at("resample"), "darknet");
  EXPECT_EQ(data::read_image(run / "predictions_epoch_01.jpg").size(0), 3);

  // metrics.csv: row 0 (before training, no losses) and epoch 1, whose total is the sum of the three losses.
  const auto csv = read_csv(run / "metrics.csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[0], (std::vector<std::string>{"epoch", "box_loss", "obj_loss", "cls_loss", "train_loss", "map50",
                                              "map50_95", "precision", "recall", "seconds"}));
  EXPECT_EQ(csv[1][0], "0");
  EXPECT_EQ(csv[1][1], "nan");
  EXPECT_EQ(csv[2][0], "1");
  const double box = std::stod(csv[2][1]), obj = std::stod(csv[2][2]), cls = std::stod(csv[2][3]);
  EXPECT_GT(box, 0);
  EXPECT_GT(obj, 0);
  EXPECT_GT(cls, 0);
  EXPECT_NEAR(std::stod(csv[2][4]), box + obj + cls, 1e-6 * (box + obj + cls));
  EXPECT_NEAR(std::stod(csv[2][5]), 100 * evaluation.at("map50").get<double>(), 1e-4);
  for (size_t c = 5; c <= 8; ++c) {
    EXPECT_GE(std::stod(csv[2][c]), 0) << csv[0][c];
    EXPECT_LE(std::stod(csv[2][c]), 100) << csv[0][c];
  }

  // model.cfg: one class in each yolo head, whose convolution before it outputs (5 + 1) values per anchor.
  const auto cfg = read_cfg(run / "model.cfg");
  int heads = 0;
  for (size_t i = 1; i < cfg.size(); ++i) {
    if (cfg[i].type != "[yolo]") continue;
    ++heads;
    EXPECT_EQ(option(cfg[i], "classes", -1), 1);
    const std::string mask = cfg[i].options.at("mask");
    const int anchors = int(std::count(mask.begin(), mask.end(), ',')) + 1;
    EXPECT_EQ(cfg[i - 1].type, "[convolutional]");
    EXPECT_EQ(option(cfg[i - 1], "filters", -1), (5 + 1) * anchors);
  }
  EXPECT_EQ(heads, 2);

  // model.weights: the shipped header with `seen` = 6 images x 1 epoch; the 10 frozen layers (weights and batchnorm
  // statistics) byte for byte the shipped ones, layer 10 trained.
  const std::string shipped = read_file(shipped_dir() / "yolo-fastest-1.1.weights");
  const std::string tuned = read_file(run / "model.weights");
  ASSERT_GT(tuned.size(), 20u);
  EXPECT_EQ(tuned.substr(0, 12), shipped.substr(0, 12));
  uint64_t seen = 0;
  std::memcpy(&seen, tuned.data() + 12, 8);
  EXPECT_EQ(seen, 6u);
  const auto ends = layer_ends(shipped_dir() / "yolo-fastest-1.1.cfg", 11);
  const size_t frozen = 20 + 4 * size_t(ends[9]), layer10 = 20 + 4 * size_t(ends[10]);
  const size_t differs = first_difference(tuned, shipped, 20);
  EXPECT_GE(differs, frozen) << "a frozen layer changed: value " << (differs - 20) / 4;
  EXPECT_LT(differs, layer10) << "layer 10 did not train: first change at value " << (differs - 20) / 4;

  // `tint detect --run` uses the run's model and class list.
  auto d = run_tint("detect --run " + q(run) + " " + q(data / "raccoon" / "images" / "raccoon-10.jpg") + " --out-dir " +
                    q(tmp / "det") + " --conf 0.05 --threads 1");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const json found = json::parse(read_file(tmp / "det" / "raccoon-10_detections.json"));
  EXPECT_EQ(found.at("model").at("weights").get<std::string>(), (run / "model.weights").string());
  EXPECT_GE(found.at("detections").size(), 1u);
  for (const auto& det : found.at("detections")) {
    EXPECT_EQ(det.at("class"), "raccoon");
    EXPECT_EQ(det.at("class_id"), 0);
  }
  // ... and resamples photos as the run trained: a run written before config.json had the key trained on antialiased
  // inputs and detects so; --resample overrides.
  EXPECT_EQ(found.at("input").at("resample"), "darknet");
  json old = config;
  old.erase("resample");
  test::write_bytes(run / "config.json", old.dump(2));
  for (const auto& [flags, expected] : {std::pair{"", "antialias"}, {" --resample darknet", "darknet"}}) {
    auto o = run_tint("detect --run " + q(run) + " " + q(data / "raccoon" / "images" / "raccoon-10.jpg") +
                      " --out-dir " + q(tmp / "old") + " --threads 1" + flags);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(json::parse(read_file(tmp / "old" / "raccoon-10_detections.json")).at("input").at("resample"), expected);
  }
  test::write_bytes(run / "config.json", config.dump(2));

  // A second run into the same directory without --force is refused, touching nothing.
  const auto before = test::read_tree(run);
  auto again = run_tint(raccoon_job(data, tmp) + " --epochs 1 -o " + q(run));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(test::count_lines(again.err), 1u) << again.err;
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  test::expect_same_files(before, test::read_tree(run));
}

// A run of 1 epoch resumed to 2 gives the numbers of an uninterrupted 2-epoch run: order, augmentation and dropout
// depend only on the seed, the epoch and the batch, and the checkpoint holds the optimizer state.
TEST(CliDetectTrain, ResumeToTwoEpochsMatchesAnUninterruptedRun) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  const std::string job = raccoon_job(data, tmp);
  auto first = run_tint(job + " --epochs 1 -o " + q(tmp / "resumed"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto resumed = run_tint("detect train --resume " + q(tmp / "resumed") + " --epochs 2 --threads 1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("epoch 2/2"), std::string::npos) << resumed.out;
  EXPECT_TRUE(fs::is_regular_file(tmp / "resumed" / "predictions_epoch_02.jpg"));
  auto straight = run_tint(job + " --epochs 2 -o " + q(tmp / "straight"));
  ASSERT_EQ(straight.exit_code, 0) << straight.err;

  const std::string metrics = metrics_without_seconds(tmp / "resumed");
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 4);  // header, epochs 0, 1, 2
  EXPECT_EQ(metrics, metrics_without_seconds(tmp / "straight"));
  const std::string resumed_weights = read_file(tmp / "resumed" / "model.weights");
  const std::string straight_weights = read_file(tmp / "straight" / "model.weights");
  EXPECT_TRUE(resumed_weights == straight_weights)
      << "model.weights differ from byte " << first_difference(resumed_weights, straight_weights);
}

// config.json names the data by the paths given; a run started with relative ones still resumes from another working
// directory.
TEST(CliDetectTrain, ResumeFromAnotherWorkingDirectory) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  fs::create_directories(tmp / "elsewhere");
  auto first = run_tint(raccoon_job(data, tmp, true) + " --epochs 1 -o run", "cd " + q(tmp.path()) + " &&");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_TRUE(fs::is_regular_file(tmp / "run" / "checkpoint.pt"));
  auto resumed = run_tint("detect train --resume " + q(tmp / "run") + " --epochs 2 --threads 1",
                          "cd " + q(tmp / "elsewhere") + " &&");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(read_csv(tmp / "run" / "metrics.csv").size(), 4u);  // header, epochs 0, 1, 2
}

// The argv of a 3-epoch raccoon fine-tuning into `run` (lists and names as raccoon_job writes them), by `workers`
// processes, for tests that signal it while it runs.
std::vector<std::string> fine_tune_args(const fs::path& data, const test::TempDir& tmp, const fs::path& run,
                                        int batch_size, int workers) {
  std::vector<std::string> args = {"detect",
                                   "train",
                                   "--data",
                                   (data / "raccoon").string(),
                                   "--train-images",
                                   (tmp / "train.txt").string(),
                                   "--val-images",
                                   (tmp / "val.txt").string(),
                                   "--names",
                                   (tmp / "raccoon.names").string(),
                                   "--batch-size",
                                   std::to_string(batch_size),
                                   "--freeze",
                                   "10",
                                   "--preview-images",
                                   "3",
                                   "--threads",
                                   "1",
                                   "--epochs",
                                   "3",
                                   "-o",
                                   run.string()};
  if (workers > 1) args.insert(args.end() - 2, {"--nproc", std::to_string(workers)});
  return args;
}

// Two workers (1 image each of every global batch of 2).
std::vector<std::string> two_worker_args(const fs::path& data, const test::TempDir& tmp, const fs::path& run) {
  return fine_tune_args(data, tmp, run, /*batch_size=*/1, /*workers=*/2);
}

// Killed (SIGKILL, through the test-only hook of core/atomic_file.cpp) just before and just after the first
// checkpoint's rename, then started again: the run ends with exactly the numbers of an uninterrupted one. And Ctrl-C
// (SIGINT) during epoch 2 saves a checkpoint, exits 130 naming the resume command, and the resumed run is exact too.
TEST(CliDetectTrain, KilledAroundTheCheckpointOrInterruptedItResumesExactly) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  const std::string job = raccoon_job(data, tmp) + " --epochs 3";
  auto straight = run_tint(job + " -o " + q(tmp / "straight"));
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  const std::string expected = metrics_without_seconds(tmp / "straight");
  for (const char* moment : {"before", "after"}) {
    SCOPED_TRACE(moment);
    const fs::path run = tmp / (std::string("killed-") + moment);
    auto killed = run_tint(job + " -o " + q(run), test::kill_at_rename_env("checkpoint.pt", moment, 1));
    ASSERT_TRUE(killed.exit_code == 137 || killed.exit_code == -1) << "exit " << killed.exit_code << ": " << killed.err;
    const bool saved = fs::exists(run / "checkpoint.pt");
    EXPECT_EQ(saved, std::string(moment) == "after");
    auto again = saved ? run_tint("detect train --resume " + q(run) + " --threads 1") : run_tint(job + " -o " + q(run));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    if (saved) {
      EXPECT_NE(again.out.find("resuming " + run.string() + " at epoch 2"), std::string::npos) << again.out;
    }
    EXPECT_EQ(metrics_without_seconds(run), expected);
    EXPECT_TRUE(read_file(run / "model.weights") == read_file(tmp / "straight" / "model.weights"));
  }

  const fs::path run = tmp / "interrupted";
  const auto args = fine_tune_args(data, tmp, run, /*batch_size=*/3, /*workers=*/1);
  const std::string err = interrupt_after_first_checkpoint(args, run, tmp);
  EXPECT_NE(err.find("tint detect train --resume " + run.string()), std::string::npos) << err;
  auto resumed = run_tint("detect train --resume " + q(run) + " --threads 1");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resuming " + run.string()), std::string::npos) << resumed.out;
  EXPECT_EQ(metrics_without_seconds(run), expected);
  EXPECT_TRUE(read_file(run / "model.weights") == read_file(tmp / "straight" / "model.weights"));
}

// Two data-parallel workers (each 1 image of every global batch of 2): the run records its world size, Ctrl-C on the
// launcher saves a checkpoint that both continue from, and the result is the uninterrupted 2-worker run's exactly.
TEST(CliDetectTrain, TwoWorkersInterruptedResumeExactly) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  std::string job = raccoon_job(data, tmp) + " --epochs 3 --nproc 2";
  job.replace(job.find("--batch-size 3"), 14, "--batch-size 1");
  auto straight = run_tint(job + " -o " + q(tmp / "straight"));
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(tmp / "straight" / "config.json")).at("world_size"), 2);
  const fs::path run = tmp / "interrupted";
  const auto args = two_worker_args(data, tmp, run);
  interrupt_after_first_checkpoint(args, run, tmp);
  auto resumed = run_tint("detect train --resume " + q(run) + " --threads 1 --nproc 2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(metrics_without_seconds(run), metrics_without_seconds(tmp / "straight"));
  EXPECT_TRUE(read_file(run / "model.weights") == read_file(tmp / "straight" / "model.weights"));
}

// Two detection workers keep off the network as colourization's do (issue 35): every socket they or their launcher
// listen on is on loopback (Gloo's, while it connects them), and none listens once training runs: their rendezvous
// store is an in-memory file they inherit, not rank 0's TCPStore on every address.
TEST(CliDetectTrain, TwoWorkersListenOnLoopbackOnlyAndNotAtAllForTheirStore) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  test::TempDir tmp;
  const fs::path run = tmp / "run";
  const auto args = two_worker_args(data, tmp, run);
  raccoon_job(data, tmp);  // writes the lists and names
  test::TintProcess child(args, tmp / "out", tmp / "err");
  const auto samples = test::sample_listeners(child, [&] { return fs::exists(run / "checkpoint.pt"); });
  const auto end = child.wait();
  ASSERT_TRUE(end.exited && end.exit_code == 0) << read_file(tmp / "err");
  for (const auto& l : samples.seen) EXPECT_TRUE(test::is_loopback(l.address)) << l.describe();
  EXPECT_GT(samples.settled_samples, 10) << "the run ended too soon after its first checkpoint to be watched";
  for (const auto& l : samples.seen_settled) ADD_FAILURE() << "listening while training: " << l.describe();
}

}  // namespace
}  // namespace tint::cli_detect_train_test
