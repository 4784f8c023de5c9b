// End-to-end `tint detect` and `tint detect evaluate` with the shipped Yolo-Fastest 1.1: the JSON and drawn outputs,
// folders, broken files and bad flags on the photos in tests/data/photos (so that every clone runs them); the
// course's two sample images and the evaluation table against its JSON and an independent count of COCO128's labels
// (detection data); an end-to-end check of the whole pipeline (a dataset labelled with the model's own detections
// scores mAP@0.5 = 1). `detect train` is in test_cli_detect_train.cpp.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"

namespace tint::cli_detect_test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_tint;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

json read_json(const fs::path& path) { return json::parse(read_file(path)); }

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::vector<std::string>& coco_names() {
  static const auto names = read_lines(test::source_dir() / "data" / "pretrained" / "yolo-fastest-1.1" / "coco.names");
  return names;
}

// Every detection of a `tint detect` JSON: a coco.names class under its id, a score in [conf, 1], a box of positive
// size inside the image.
void expect_valid_detections(const json& j, double conf) {
  const double width = j.at("width").get<double>(), height = j.at("height").get<double>();
  for (const auto& d : j.at("detections")) {
    const int id = d.at("class_id").get<int>();
    ASSERT_GE(id, 0);
    ASSERT_LT(id, int(coco_names().size()));
    EXPECT_EQ(d.at("class").get<std::string>(), coco_names()[id]);
    EXPECT_GE(d.at("score").get<double>(), conf) << d;
    EXPECT_LE(d.at("score").get<double>(), 1.0) << d;
    const double x1 = d.at("x1"), y1 = d.at("y1"), x2 = d.at("x2"), y2 = d.at("y2");
    EXPECT_GE(x1, 0) << d;
    EXPECT_GE(y1, 0) << d;
    EXPECT_LE(x2, width) << d;
    EXPECT_LE(y2, height) << d;
    EXPECT_LT(x1, x2) << d;
    EXPECT_LT(y1, y2) << d;
  }
}

int count_class(const json& j, const std::string& name) {
  const auto& list = j.at("detections");
  return int(std::count_if(list.begin(), list.end(), [&](const json& d) { return d.at("class") == name; }));
}

std::set<std::string> file_names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& [name, bytes] : test::read_tree(dir)) names.insert(name);
  return names;
}

// Surfers (Kodak PhotoCD 12, 400 x 500): two persons scored above 0.9 and a surfboard near 0.4 at the default
// settings.
const fs::path& surfers() {
  static const fs::path photo = test::test_photo("kodim12.jpg");
  return photo;
}

TEST(CliDetect, SampleImagesWithTheShippedModel) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "samples/bus.jpg", "samples/Cats_and_dog.jpg");
  test::TempDir tmp;
  const auto bus = data / "samples" / "bus.jpg", cats = data / "samples" / "Cats_and_dog.jpg";
  auto r = run_tint("detect " + q(bus) + " " + q(cats) + " --out-dir " + q(tmp / "out") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_names(tmp / "out"),
            (std::set<std::string>{"Cats_and_dog_detections.jpg", "Cats_and_dog_detections.json", "bus_detections.jpg",
                                   "bus_detections.json"}));
  for (const auto& [input, stem] : {std::pair{bus, "bus"}, std::pair{cats, "Cats_and_dog"}}) {
    SCOPED_TRACE(stem);
    const auto original = data::read_image(input);
    const json j = read_json(tmp / "out" / (std::string(stem) + "_detections.json"));
    EXPECT_EQ(j.at("image").get<std::string>(), input.string());
    EXPECT_EQ(j.at("width").get<int64_t>(), original.size(2));
    EXPECT_EQ(j.at("height").get<int64_t>(), original.size(1));
    EXPECT_EQ(j.at("input"), (json{{"width", 320}, {"height", 320}, {"resize", "stretch"}, {"resample", "darknet"}}));
    EXPECT_FLOAT_EQ(j.at("conf").get<float>(), 0.25f);
    expect_valid_detections(j, 0.25);
    // The drawn copy is the full-resolution photo, as JPEG.
    const fs::path drawn = tmp / "out" / (std::string(stem) + "_detections.jpg");
    EXPECT_EQ(read_file(drawn).rfind("\xFF\xD8\xFF", 0), 0u);
    EXPECT_EQ(data::read_image(drawn).sizes(), (std::vector<int64_t>{3, original.size(1), original.size(2)}));
    // The console line counts what the JSON holds: "N person, M bus -> ...".
    for (const auto& name : {"person", "bus", "cat", "dog"}) {
      const int n = count_class(j, name);
      if (n > 0) {
        EXPECT_NE(r.out.find(fmt::format("{} {}", n, name)), std::string::npos) << r.out;
      }
    }
  }
  const json b = read_json(tmp / "out" / "bus_detections.json");
  EXPECT_GE(count_class(b, "bus"), 1) << b.dump(1);
  // Two persons and the bus, as OpenCV's DNN finds on this photo at conf 0.25 (the antialiased input found a third).
  EXPECT_GE(count_class(b, "person"), 2) << b.dump(1);
  EXPECT_GE(count_class(read_json(tmp / "out" / "Cats_and_dog_detections.json"), "cat"), 1);
}

// PNG is lossless, so the drawing can be checked pixel by pixel: rows below every box are the photo's own, each box's
// outline is drawn, one colour per class.
TEST(CliDetect, PngOutputChangesOnlyTheBoxesInAColourPerClass) {
  test::TempDir tmp;
  auto r = run_tint("detect " + q(surfers()) + " --format png --out-dir " + q(tmp.path()) + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_names(tmp.path()), (std::set<std::string>{"kodim12_detections.json", "kodim12_detections.png"}));
  EXPECT_EQ(read_file(tmp / "kodim12_detections.png").rfind("\x89PNG\r\n\x1a\n", 0), 0u);
  const auto original = data::read_image(surfers());
  const auto drawn = data::read_image(tmp / "kodim12_detections.png");
  ASSERT_EQ(drawn.sizes(), original.sizes());
  const json j = read_json(tmp / "kodim12_detections.json");
  double lowest = 0;
  for (const auto& d : j.at("detections")) lowest = std::max(lowest, d.at("y2").get<double>());
  const int64_t below = int64_t(std::ceil(lowest)) + 1;
  ASSERT_LT(below, original.size(1) - 10);
  EXPECT_TRUE(torch::equal(drawn.slice(1, below), original.slice(1, below)));
  EXPECT_FALSE(torch::equal(drawn, original));
  // The outline lies inside the box: the pixel just inside the bottom edge, half way across, is the class colour (the
  // bottom edge: the surfboard's left edge is under the outline of the person who holds it).
  std::map<std::string, std::set<std::vector<int64_t>>> colours;
  for (const auto& d : j.at("detections")) {
    const int64_t x = std::lround((d.at("x1").get<double>() + d.at("x2").get<double>()) / 2);
    const int64_t y = std::lround(d.at("y2").get<double>()) - 1;
    const auto pixel = drawn.index({torch::indexing::Slice(), y, x}).to(torch::kLong);
    EXPECT_FALSE(torch::equal(pixel, original.index({torch::indexing::Slice(), y, x}).to(torch::kLong))) << d;
    colours[d.at("class")].insert({pixel[0].item<int64_t>(), pixel[1].item<int64_t>(), pixel[2].item<int64_t>()});
  }
  ASSERT_EQ(colours.count("person"), 1u);
  ASSERT_EQ(colours.count("surfboard"), 1u);
  EXPECT_EQ(count_class(j, "person"), 2);
  EXPECT_EQ(colours["person"].size(), 1u);  // every person in one colour
  EXPECT_NE(*colours["person"].begin(), *colours["surfboard"].begin());
}

// Same image, same flags: the same bytes. A higher --conf keeps exactly the detections of the default run that reach
// it (a box can only be suppressed by a better one, so the boxes below the threshold change nothing above it).
TEST(CliDetect, DeterministicAndConfSelectsTheSameDetections) {
  test::TempDir tmp;
  const auto photo = q(surfers());
  for (const char* out : {"a", "b"}) {
    auto r = run_tint("detect " + photo + " --out-dir " + q(tmp / out) + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(read_file(tmp / "a" / "kodim12_detections.json"), read_file(tmp / "b" / "kodim12_detections.json"));
  EXPECT_EQ(read_file(tmp / "a" / "kodim12_detections.jpg"), read_file(tmp / "b" / "kodim12_detections.jpg"));

  auto r = run_tint("detect " + photo + " --conf 0.7 --out-dir " + q(tmp / "c") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json all = read_json(tmp / "a" / "kodim12_detections.json");
  const json high = read_json(tmp / "c" / "kodim12_detections.json");
  EXPECT_FLOAT_EQ(high.at("conf").get<float>(), 0.7f);
  json expected = json::array();
  for (const auto& d : all.at("detections"))
    if (d.at("score").get<double>() >= 0.7) expected.push_back(d);
  EXPECT_GE(expected.size(), 1u);
  EXPECT_LT(expected.size(), all.at("detections").size());  // the threshold removes some
  EXPECT_EQ(high.at("detections"), expected);
}

TEST(CliDetect, FolderWithACorruptFileCompletesTheRestAndFails) {
  test::TempDir tmp;
  const fs::path in = tmp / "in";
  fs::create_directories(in);
  fs::copy_file(surfers(), in / "surfers.jpg");
  fs::copy_file(test::test_photo("kodim06.jpg"), in / "boat.jpg");
  test::write_bytes(in / "broken.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + "a truncated JPEG");
  test::write_bytes(in / "notes.txt", "not an image: the folder scan skips it\n");
  auto r = run_tint("detect " + q(in) + " --out-dir " + q(tmp / "out") + " --threads 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 images failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("notes.txt"), std::string::npos) << r.err;
  EXPECT_EQ(file_names(tmp / "out"), (std::set<std::string>{"boat_detections.jpg", "boat_detections.json",
                                                            "surfers_detections.jpg", "surfers_detections.json"}));
  const json boat = read_json(tmp / "out" / "boat_detections.json");
  EXPECT_EQ(boat.at("image").get<std::string>(), (in / "boat.jpg").string());
  expect_valid_detections(boat, 0.25);
  EXPECT_GE(count_class(boat, "boat"), 1);
}

// Each bad flag: exit 2, one line naming the flag, nothing written.
TEST(CliDetect, BadFlagsAreOneLineErrorsAndWriteNothing) {
  test::TempDir tmp;
  const auto photo = q(surfers());
  const auto cfg = q(test::embedded_yolo_fastest_dir() / "yolo-fastest-1.1.cfg");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--size 100", "--size"},
      {"--size 4097", "--size"},
      {"--conf 2", "--conf"},
      {"--iou -0.5", "--iou"},
      {"--resize crop", "--resize"},
      {"--format gif", "--format"},
      {"--resample cubic", "--resample"},
      {"--cfg " + cfg, "--weights"},
      {"--run x --cfg " + cfg, "--cfg"},
      {"--quality 0", "--quality"},
  };
  for (const auto& [flags, named] : cases) {
    SCOPED_TRACE(flags);
    auto r = run_tint("detect " + photo + " " + flags + " --out-dir " + q(tmp / "out") + " --threads 1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(tmp / "out"));
  }
  // A missing file is one failure of the batch: named, with the count, and nothing written.
  auto missing = run_tint("detect " + q(tmp / "nope.jpg") + " --out-dir " + q(tmp / "out") + " --threads 1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.jpg: no such file"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("1 of 1 images failed"), std::string::npos) << missing.err;
  EXPECT_TRUE(!fs::exists(tmp / "out") || file_names(tmp / "out").empty());
  // No inputs, and a folder without images.
  fs::create_directories(tmp / "empty");
  for (const auto& args : {std::string("detect"), "detect " + q(tmp / "empty")}) {
    auto r = run_tint(args + " --out-dir " + q(tmp / "out2"));
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(test::count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "out2"));
  }
}

TEST(CliDetect, LetterboxSizeAndResampleAreUsedAndRecorded) {
  test::TempDir tmp;
  const auto photo = q(surfers());
  for (const auto& [flags, out] : {std::pair{"", "plain"},
                                   {"--resize letterbox", "letterbox"},
                                   {"--size 416", "big"},
                                   {"--resample antialias", "antialias"}}) {
    auto r = run_tint(fmt::format("detect {} {} --out-dir {} --threads 1", photo, flags, q(tmp / out)));
    ASSERT_EQ(r.exit_code, 0) << flags << r.err;
  }
  const json plain = read_json(tmp / "plain" / "kodim12_detections.json");
  const json letterbox = read_json(tmp / "letterbox" / "kodim12_detections.json");
  const json big = read_json(tmp / "big" / "kodim12_detections.json");
  const json antialias = read_json(tmp / "antialias" / "kodim12_detections.json");
  EXPECT_EQ(letterbox.at("input"),
            (json{{"width", 320}, {"height", 320}, {"resize", "letterbox"}, {"resample", "darknet"}}));
  EXPECT_EQ(big.at("input"), (json{{"width", 416}, {"height", 416}, {"resize", "stretch"}, {"resample", "darknet"}}));
  EXPECT_EQ(antialias.at("input"),
            (json{{"width", 320}, {"height", 320}, {"resize", "stretch"}, {"resample", "antialias"}}));
  for (const json* j : {&letterbox, &big, &antialias}) {
    expect_valid_detections(*j, 0.25);
    EXPECT_GE(count_class(*j, "person"), 1);
    EXPECT_NE(j->at("detections"), plain.at("detections"));  // another network input, other numbers
  }
}

// ---- detect evaluate ----

const std::vector<std::string> kCocoImages = {"000000000009", "000000000025", "000000000030",
                                              "000000000034", "000000000036", "000000000042"};

fs::path copy_coco_images(const fs::path& data, const fs::path& to) {
  fs::create_directories(to / "images");
  fs::create_directories(to / "labels");
  for (const auto& n : kCocoImages) {
    fs::copy_file(data / "coco128" / "images" / (n + ".jpg"), to / "images" / (n + ".jpg"));
    fs::copy_file(data / "coco128" / "labels" / (n + ".txt"), to / "labels" / (n + ".txt"));
  }
  return to;
}

// tests/data/photos as a dataset without labels: `to`/images/NAME.jpg and an empty `to`/labels. Returns the names.
std::vector<std::string> copy_test_photos(const fs::path& to) {
  fs::create_directories(to / "images");
  fs::create_directories(to / "labels");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(test::test_photos_dir())) {
    if (entry.path().extension() != ".jpg") continue;
    fs::copy_file(entry.path(), to / "images" / entry.path().filename());
    names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// --save-labels: NAME.txt beside the outputs holds the detections as YOLO labels; tint's own YOLO reader gives back
// every detection, in order, with its class and its box within the 6 decimals written (0.5e-6 of the side per
// coordinate, plus float rounding). An image without detections gets an empty file (no objects).
TEST(CliDetect, SaveLabelsWritesTheDetectionsAsYoloLabels) {
  test::TempDir tmp;
  const fs::path set = tmp / "set";
  const auto photos = copy_test_photos(set);
  ASSERT_GE(photos.size(), 3u);
  auto r = run_tint("detect " + q(set / "images") + " --save-labels --conf 0.2 --out-dir " + q(tmp / "out") +
                    " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t total = 0;
  for (const auto& n : photos) {
    SCOPED_TRACE(n);
    const json j = read_json(tmp / "out" / (n + "_detections.json"));
    const int w = j.at("width"), h = j.at("height");
    const auto labels = data::read_yolo_labels(tmp / "out" / (n + ".txt"), int(coco_names().size()), w, h);
    const auto& found = j.at("detections");
    ASSERT_EQ(labels.size(), found.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      EXPECT_EQ(labels[i].class_id, found[i].at("class_id").get<int>());
      EXPECT_FALSE(labels[i].difficult);
      const double tol_x = 1e-6 * w + 1e-4, tol_y = 1e-6 * h + 1e-4;
      EXPECT_NEAR(labels[i].box.x1, found[i].at("x1").get<double>(), tol_x);
      EXPECT_NEAR(labels[i].box.x2, found[i].at("x2").get<double>(), tol_x);
      EXPECT_NEAR(labels[i].box.y1, found[i].at("y1").get<double>(), tol_y);
      EXPECT_NEAR(labels[i].box.y2, found[i].at("y2").get<double>(), tol_y);
    }
    total += labels.size();
  }
  EXPECT_GE(total, 3u);
  // The labelled folder reads as a YOLO dataset (images/ + labels/) with the model's names.
  for (const auto& n : photos) fs::copy_file(tmp / "out" / (n + ".txt"), set / "labels" / (n + ".txt"));
  auto e = run_tint("detect evaluate --data " + q(set) + " --threads 1");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find(fmt::format("{} objects", total)), std::string::npos) << e.out;
}

// One row of the printed table: class name (may hold spaces), images, instances, P, R, F1, TP, FP, FN, mAP50,
// mAP50-95.
struct TableRow {
  std::string name;
  std::vector<std::string> cells;
};

std::vector<TableRow> parse_table(const std::string& out) {
  std::vector<TableRow> rows;
  std::istringstream lines(out);
  bool in_table = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("class ", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.empty()) continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (w.size() < 11) {
      ADD_FAILURE() << "short table row: " << line;
      continue;
    }
    TableRow row;
    row.cells.assign(w.end() - 10, w.end());
    for (auto it = w.begin(); it != w.end() - 10; ++it) row.name += (row.name.empty() ? "" : " ") + *it;
    rows.push_back(row);
  }
  return rows;
}

TEST(CliDetectEvaluate, TheTablePrintsTheJsonAndTheLabelsAreCounted) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "coco128");
  test::TempDir tmp;
  const auto set = copy_coco_images(data, tmp / "coco6");
  // Independent count of the labels: instances per class, images per class.
  std::map<int, int64_t> instances, images;
  int64_t objects = 0;
  for (const auto& n : kCocoImages) {
    std::set<int> seen;
    for (const auto& line : read_lines(set / "labels" / (n + ".txt"))) {
      const int id = std::stoi(line);
      ++instances[id], ++objects;
      seen.insert(id);
    }
    for (int id : seen) ++images[id];
  }
  auto r = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "eval.json") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("{} images, {} objects (YOLO)", kCocoImages.size(), objects)), std::string::npos)
      << r.out;
  const json j = read_json(tmp / "eval.json");
  EXPECT_EQ(j.at("images").get<int64_t>(), int64_t(kCocoImages.size()));
  EXPECT_EQ(j.at("instances").get<int64_t>(), objects);
  EXPECT_EQ(j.at("classes_with_instances").get<int64_t>(), int64_t(instances.size()));

  const auto rows = parse_table(r.out);
  ASSERT_EQ(rows.size(), j.at("classes").size() + 1) << r.out;
  const auto f3 = [](const json& v) { return fmt::format("{:.3f}", v.get<double>()); };
  const auto n = [](const json& v) { return std::to_string(v.get<int64_t>()); };
  EXPECT_EQ(rows[0].name, "all");
  EXPECT_EQ(rows[0].cells,
            (std::vector<std::string>{std::to_string(kCocoImages.size()), std::to_string(objects), f3(j["precision"]),
                                      f3(j["recall"]), f3(j["f1"]), n(j["true_positives"]), n(j["false_positives"]),
                                      n(j["false_negatives"]), f3(j["map50"]), f3(j["map50_95"])}));
  double sum50 = 0, sum50_95 = 0;
  for (size_t i = 0; i < j.at("classes").size(); ++i) {
    const json& c = j["classes"][i];
    const int id = c.at("class_id");
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(c.at("class").get<std::string>(), coco_names().at(id));
    EXPECT_EQ(c.at("instances").get<int64_t>(), instances.count(id) ? instances[id] : 0);
    EXPECT_EQ(c.at("images").get<int64_t>(), images.count(id) ? images[id] : 0);
    const bool has = c.at("instances").get<int64_t>() > 0;
    EXPECT_EQ(rows[i + 1].name, c.at("class").get<std::string>());
    EXPECT_EQ(rows[i + 1].cells, (std::vector<std::string>{n(c["images"]), n(c["instances"]), f3(c["precision"]),
                                                           f3(c["recall"]), f3(c["f1"]), n(c["true_positives"]),
                                                           n(c["false_positives"]), n(c["false_negatives"]),
                                                           has ? f3(c["ap50"]) : "-", has ? f3(c["ap50_95"]) : "-"}));
    // The counts agree with P and R, and the misses with the instances.
    EXPECT_EQ(c["true_positives"].get<int64_t>() + c["false_negatives"].get<int64_t>(), c["instances"].get<int64_t>());
    if (has) sum50 += c["ap50"].get<double>(), sum50_95 += c["ap50_95"].get<double>();
  }
  // Every labelled class has its row; mAP is the mean over them.
  for (const auto& [id, n] : instances) {
    const auto& list = j.at("classes");
    EXPECT_TRUE(std::any_of(list.begin(), list.end(), [&](const json& c) { return c.at("class_id") == id; })) << id;
  }
  EXPECT_NEAR(j["map50"].get<double>(), sum50 / double(instances.size()), 1e-12);
  EXPECT_NEAR(j["map50_95"].get<double>(), sum50_95 / double(instances.size()), 1e-12);
  EXPECT_GT(j["map50"].get<double>(), 0.3);  // a working detector on easy COCO images
}

// COCO's summary and the confusion matrix in --json, the text and the picture, on six COCO128 images: the classes with
// a truth in each size range counted independently from the labels and the photos' sizes, the text lines equal to
// the JSON, the matrix's rows summing to each class's instances, the micro totals to the classes' counts.
TEST(CliDetectEvaluate, JsonHoldsSizesRecallCountsAndTheConfusionMatrix) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "coco128");
  test::TempDir tmp;
  const auto set = copy_coco_images(data, tmp / "coco6");
  // Classes with a truth of box area (pixels) in [0, 32^2], [32^2, 96^2], [96^2, inf): COCO's inclusive bounds.
  std::array<std::set<int>, 3> by_size;
  std::map<int, int64_t> instances;
  for (const auto& name : kCocoImages) {
    const auto photo = data::read_image(set / "images" / (name + ".jpg"));
    const double w = double(photo.size(2)), h = double(photo.size(1));
    for (const auto& line : read_lines(set / "labels" / (name + ".txt"))) {
      std::istringstream in(line);
      int id = 0;
      double cx = 0, cy = 0, bw = 0, bh = 0;
      in >> id >> cx >> cy >> bw >> bh;
      const double area = bw * w * bh * h;
      if (area <= 32 * 32) by_size[0].insert(id);
      if (area >= 32 * 32 && area <= 96 * 96) by_size[1].insert(id);
      if (area >= 96 * 96) by_size[2].insert(id);
      ++instances[id];
    }
  }
  auto r = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "eval.json") + " --confusion-matrix " +
                    q(tmp / "confusion.png") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = read_json(tmp / "eval.json");
  const auto text = [](const json& v) {
    return v.is_null() ? std::string("-") : fmt::format("{:.3f}", v.get<double>());
  };
  const std::vector<std::string> sizes = {"small", "medium", "large"};
  std::string ap_line = "AP@0.5:0.95 by size", ar_line;
  for (size_t a = 0; a < 3; ++a) {
    SCOPED_TRACE(sizes[a]);
    EXPECT_EQ(j.at("classes_" + sizes[a]).get<size_t>(), by_size[a].size());
    EXPECT_EQ(j.at("ap_" + sizes[a]).is_null(), by_size[a].empty());
    ap_line += fmt::format("  {} {}", sizes[a], text(j["ap_" + sizes[a]]));
  }
  ar_line = fmt::format("AR@1 {}  AR@10 {}  AR@100 {}  (AR@100 by size: small {}  medium {}  large {})", text(j["ar1"]),
                        text(j["ar10"]), text(j["ar100"]), text(j["ar100_small"]), text(j["ar100_medium"]),
                        text(j["ar100_large"]));
  EXPECT_NE(r.out.find(ap_line + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ar_line + "\n"), std::string::npos) << r.out;
  // More detections per image can only find more.
  EXPECT_LE(j["ar1"].get<double>(), j["ar10"].get<double>());
  EXPECT_LE(j["ar10"].get<double>(), j["ar100"].get<double>());
  EXPECT_GT(j["ar100"].get<double>(), 0.2);

  // Micro totals: the classes' counts summed; F1 of the summed P and R.
  int64_t tp = 0, fp = 0, fn = 0;
  for (const auto& c : j.at("classes")) {
    tp += c.at("true_positives").get<int64_t>();
    fp += c.at("false_positives").get<int64_t>();
    fn += c.at("false_negatives").get<int64_t>();
  }
  EXPECT_EQ(j.at("true_positives").get<int64_t>(), tp);
  EXPECT_EQ(j.at("false_positives").get<int64_t>(), fp);
  EXPECT_EQ(j.at("false_negatives").get<int64_t>(), fn);
  const double p = j["precision"], rc = j["recall"];
  EXPECT_NEAR(j["f1"].get<double>(), 2 * p * rc / (p + rc), 1e-12);

  // The confusion matrix: 80 classes and background, rows true; each class's row sums to its instances.
  const json& m = j.at("confusion_matrix");
  EXPECT_EQ(m.at("rows"), "true");
  EXPECT_EQ(m.at("columns"), "predicted");
  EXPECT_EQ(m.at("iou").get<double>(), 0.5);
  EXPECT_EQ(m.at("labels").size(), 81u);
  EXPECT_EQ(m["labels"][80], "background");
  ASSERT_EQ(m.at("counts").size(), 81u);
  for (size_t k = 0; k < 80; ++k) {
    int64_t row = 0;
    for (const auto& v : m["counts"][k]) row += v.get<int64_t>();
    EXPECT_EQ(row, instances.count(int(k)) ? instances[int(k)] : 0) << coco_names().at(k);
  }
  EXPECT_EQ(m["counts"][80][80].get<int64_t>(), 0);
  // The picture, with its data and script beside it.
  EXPECT_GT(data::read_image(tmp / "confusion.png").size(2), 300);
  EXPECT_TRUE(fs::exists(tmp / "confusion.csv"));
  EXPECT_TRUE(fs::exists(tmp / "confusion.gp"));
}

// The whole pipeline checked end to end: label a dataset with the model's own detections (from `tint detect`'s JSON,
// written back as YOLO labels) and evaluate the same model with the same input size and resize: every detection that
// reaches --conf 0.25 is a perfect match of a label and ranks above everything else, so mAP@0.5 (and 0.5:0.95, as the
// boxes are the same to float precision) is exactly 1, and precision and recall at 0.25 are 1. NMS uses detect's
// IoU 0.45 so that both keep the same boxes. Evaluated at another input size, the same labels score below 1.
TEST(CliDetectEvaluate, OwnDetectionsAsLabelsScoreExactlyOne) {
  test::TempDir tmp;
  const fs::path set = tmp / "self";
  const auto photos = copy_test_photos(set);
  ASSERT_GE(photos.size(), 3u);
  const std::string model_flags = " --size 352 --resize letterbox --iou 0.45 --threads 1";
  auto d = run_tint("detect " + q(set / "images") + " --out-dir " + q(tmp / "det") + model_flags);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  int64_t labels = 0;
  for (const auto& n : photos) {
    const json j = read_json(tmp / "det" / (n + "_detections.json"));
    ASSERT_EQ(j.at("input"), (json{{"width", 352}, {"height", 352}, {"resize", "letterbox"}, {"resample", "darknet"}}));
    const double w = j.at("width"), h = j.at("height");
    std::string text;
    for (const auto& b : j.at("detections")) {
      const double x1 = b["x1"], y1 = b["y1"], x2 = b["x2"], y2 = b["y2"];
      text += fmt::format("{} {:.9f} {:.9f} {:.9f} {:.9f}\n", b["class_id"].get<int>(), (x1 + x2) / 2 / w,
                          (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h);
      ++labels;
    }
    test::write_bytes(set / "labels" / (n + ".txt"), text);
  }
  ASSERT_GE(labels, 6);
  auto e = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "self.json") + model_flags);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const json j = read_json(tmp / "self.json");
  EXPECT_EQ(j.at("instances").get<int64_t>(), labels);
  EXPECT_EQ(j.at("map50").get<double>(), 1.0) << e.out;
  EXPECT_EQ(j.at("map50_95").get<double>(), 1.0) << e.out;
  EXPECT_EQ(j.at("precision").get<double>(), 1.0) << e.out;
  EXPECT_EQ(j.at("recall").get<double>(), 1.0) << e.out;
  const auto rows = parse_table(e.out);
  ASSERT_FALSE(rows.empty()) << e.out;
  EXPECT_EQ(rows[0].name, "all");
  EXPECT_EQ(rows[0].cells[0], std::to_string(photos.size())) << e.out;

  auto other = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "other.json") +
                        " --size 320 --resize letterbox --iou 0.45 --threads 1");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_LT(read_json(tmp / "other.json").at("map50_95").get<double>(), 0.99);
}

TEST(CliDetectEvaluate, BadInputIsRefused) {
  test::TempDir tmp;
  auto none = run_tint("detect evaluate --data " + q(tmp / "missing"));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(test::count_lines(none.err), 1u) << none.err;
  EXPECT_NE(none.err.find("missing"), std::string::npos) << none.err;
  // A label of a class the model does not have: refused naming the file and the line.
  const fs::path set = tmp / "bad";
  for (const auto& n : copy_test_photos(set)) test::write_bytes(set / "labels" / (n + ".txt"), "0 0.5 0.5 0.2 0.2\n");
  test::write_bytes(set / "labels" / "kodim12.txt", "75 0.5 0.5 0.2 0.2\n80 0.5 0.5 0.1 0.1\n");
  auto bad = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "e.json") + " --threads 1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(test::count_lines(bad.err), 1u) << bad.err;
  EXPECT_NE(bad.err.find("kodim12.txt:2:"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(tmp / "e.json"));
}

}  // namespace
}  // namespace tint::cli_detect_test
