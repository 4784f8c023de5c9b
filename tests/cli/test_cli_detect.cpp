// End-to-end `tint detect` and `tint detect evaluate` with the shipped Yolo-Fastest 1.1: the course's two sample
// images, the JSON and drawn outputs, folders, broken files and bad flags; the evaluation table against its JSON and
// an independent count of the labels, and an end-to-end check of the whole pipeline (a dataset labelled with the
// model's own detections scores mAP@0.5 = 1). `detect train` is in test_cli_detect_train.cpp.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
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

TEST(CliDetect, SampleImagesWithTheShippedModel) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto bus = data / "samples" / "bus.jpg", cats = data / "samples" / "Cats_and_dog.jpg";
  auto r = run_tint("detect " + q(bus) + " " + q(cats) + " --out-dir " + q(tmp / "out") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_names(tmp / "out"), (std::set<std::string>{"Cats_and_dog_detections.jpg", "Cats_and_dog_detections.json",
                                                             "bus_detections.jpg", "bus_detections.json"}));
  for (const auto& [input, stem] : {std::pair{bus, "bus"}, std::pair{cats, "Cats_and_dog"}}) {
    SCOPED_TRACE(stem);
    const auto original = data::read_image(input);
    const json j = read_json(tmp / "out" / (std::string(stem) + "_detections.json"));
    EXPECT_EQ(j.at("image").get<std::string>(), input.string());
    EXPECT_EQ(j.at("width").get<int64_t>(), original.size(2));
    EXPECT_EQ(j.at("height").get<int64_t>(), original.size(1));
    EXPECT_EQ(j.at("input"), (json{{"width", 320}, {"height", 320}, {"resize", "stretch"}}));
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
  EXPECT_GE(count_class(b, "person"), 3) << b.dump(1);
  EXPECT_GE(count_class(read_json(tmp / "out" / "Cats_and_dog_detections.json"), "cat"), 1);
}

// PNG is lossless, so the drawing can be checked pixel by pixel: rows below every box are the photo's own, each box's
// outline is drawn, one colour per class.
TEST(CliDetect, PngOutputChangesOnlyTheBoxesInAColourPerClass) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto bus = data / "samples" / "bus.jpg";
  auto r = run_tint("detect " + q(bus) + " --format png --out-dir " + q(tmp.path()) + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_names(tmp.path()), (std::set<std::string>{"bus_detections.json", "bus_detections.png"}));
  EXPECT_EQ(read_file(tmp / "bus_detections.png").rfind("\x89PNG\r\n\x1a\n", 0), 0u);
  const auto original = data::read_image(bus);
  const auto drawn = data::read_image(tmp / "bus_detections.png");
  ASSERT_EQ(drawn.sizes(), original.sizes());
  const json j = read_json(tmp / "bus_detections.json");
  double lowest = 0;
  for (const auto& d : j.at("detections")) lowest = std::max(lowest, d.at("y2").get<double>());
  const int64_t below = int64_t(std::ceil(lowest)) + 1;
  ASSERT_LT(below, original.size(1) - 10);
  EXPECT_TRUE(torch::equal(drawn.slice(1, below), original.slice(1, below)));
  EXPECT_FALSE(torch::equal(drawn, original));
  // The outline lies inside the box: the pixel just inside the left edge, half way down, is the class colour.
  std::map<std::string, std::set<std::vector<int64_t>>> colours;
  for (const auto& d : j.at("detections")) {
    const int64_t x = std::lround(d.at("x1").get<double>()) + 1;
    const int64_t y = std::lround((d.at("y1").get<double>() + d.at("y2").get<double>()) / 2);
    const auto pixel = drawn.index({torch::indexing::Slice(), y, x}).to(torch::kLong);
    EXPECT_FALSE(torch::equal(pixel, original.index({torch::indexing::Slice(), y, x}).to(torch::kLong))) << d;
    colours[d.at("class")].insert({pixel[0].item<int64_t>(), pixel[1].item<int64_t>(), pixel[2].item<int64_t>()});
  }
  ASSERT_EQ(colours.count("person"), 1u);
  ASSERT_EQ(colours.count("bus"), 1u);
  EXPECT_EQ(colours["person"].size(), 1u);  // every person in one colour
  EXPECT_NE(*colours["person"].begin(), *colours["bus"].begin());
}

// Same image, same flags: the same bytes. A higher --conf keeps exactly the detections of the default run that reach
// it (a box can only be suppressed by a better one, so the boxes below the threshold change nothing above it).
TEST(CliDetect, DeterministicAndConfSelectsTheSameDetections) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto bus = q(data / "samples" / "bus.jpg");
  for (const char* out : {"a", "b"}) {
    auto r = run_tint("detect " + bus + " --out-dir " + q(tmp / out) + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(read_file(tmp / "a" / "bus_detections.json"), read_file(tmp / "b" / "bus_detections.json"));
  EXPECT_EQ(read_file(tmp / "a" / "bus_detections.jpg"), read_file(tmp / "b" / "bus_detections.jpg"));

  auto r = run_tint("detect " + bus + " --conf 0.7 --out-dir " + q(tmp / "c") + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json all = read_json(tmp / "a" / "bus_detections.json"), high = read_json(tmp / "c" / "bus_detections.json");
  EXPECT_FLOAT_EQ(high.at("conf").get<float>(), 0.7f);
  json expected = json::array();
  for (const auto& d : all.at("detections"))
    if (d.at("score").get<double>() >= 0.7) expected.push_back(d);
  EXPECT_GE(expected.size(), 1u);
  EXPECT_LT(expected.size(), all.at("detections").size());  // the threshold removes some
  EXPECT_EQ(high.at("detections"), expected);
}

TEST(CliDetect, FolderWithACorruptFileCompletesTheRestAndFails) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const fs::path in = tmp / "in";
  fs::create_directories(in);
  fs::copy_file(data / "samples" / "bus.jpg", in / "bus.jpg");
  fs::copy_file(data / "coco128" / "images" / "000000000009.jpg", in / "kitchen.jpg");
  test::write_bytes(in / "broken.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + "a truncated JPEG");
  test::write_bytes(in / "notes.txt", "not an image: the folder scan skips it\n");
  auto r = run_tint("detect " + q(in) + " --out-dir " + q(tmp / "out") + " --threads 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 images failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("notes.txt"), std::string::npos) << r.err;
  EXPECT_EQ(file_names(tmp / "out"), (std::set<std::string>{"bus_detections.jpg", "bus_detections.json",
                                                             "kitchen_detections.jpg", "kitchen_detections.json"}));
  const json kitchen = read_json(tmp / "out" / "kitchen_detections.json");
  EXPECT_EQ(kitchen.at("image").get<std::string>(), (in / "kitchen.jpg").string());
  expect_valid_detections(kitchen, 0.25);
}

// Each bad flag: exit 2, one line naming the flag, nothing written.
TEST(CliDetect, BadFlagsAreOneLineErrorsAndWriteNothing) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto bus = q(data / "samples" / "bus.jpg");
  const auto cfg = q(test::source_dir() / "data" / "pretrained" / "yolo-fastest-1.1" / "yolo-fastest-1.1.cfg");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--size 100", "--size"},           {"--size 4097", "--size"},         {"--conf 2", "--conf"},
      {"--iou -0.5", "--iou"},            {"--resize crop", "--resize"},     {"--format gif", "--format"},
      {"--cfg " + cfg, "--weights"},      {"--run x --cfg " + cfg, "--cfg"}, {"--quality 0", "--quality"},
  };
  for (const auto& [flags, named] : cases) {
    SCOPED_TRACE(flags);
    auto r = run_tint("detect " + bus + " " + flags + " --out-dir " + q(tmp / "out") + " --threads 1");
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

TEST(CliDetect, LetterboxAndSizeAreUsedAndRecorded) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto bus = q(data / "samples" / "bus.jpg");
  for (const auto& [flags, out] : {std::pair{"", "plain"}, {"--resize letterbox", "letterbox"}, {"--size 416", "big"}}) {
    auto r = run_tint(fmt::format("detect {} {} --out-dir {} --threads 1", bus, flags, q(tmp / out)));
    ASSERT_EQ(r.exit_code, 0) << flags << r.err;
  }
  const json plain = read_json(tmp / "plain" / "bus_detections.json");
  const json letterbox = read_json(tmp / "letterbox" / "bus_detections.json");
  const json big = read_json(tmp / "big" / "bus_detections.json");
  EXPECT_EQ(letterbox.at("input"), (json{{"width", 320}, {"height", 320}, {"resize", "letterbox"}}));
  EXPECT_EQ(big.at("input"), (json{{"width", 416}, {"height", 416}, {"resize", "stretch"}}));
  for (const json* j : {&letterbox, &big}) {
    expect_valid_detections(*j, 0.25);
    EXPECT_GE(count_class(*j, "bus"), 1);
    EXPECT_NE(j->at("detections"), plain.at("detections"));  // another network input, other numbers
  }
}

// ---- detect evaluate ----

const std::vector<std::string> kCocoImages = {"000000000009", "000000000025", "000000000030",
                                              "000000000034", "000000000036", "000000000042"};

fs::path copy_coco_images(const fs::path& data, const fs::path& to, bool with_labels) {
  fs::create_directories(to / "images");
  fs::create_directories(to / "labels");
  for (const auto& n : kCocoImages) {
    fs::copy_file(data / "coco128" / "images" / (n + ".jpg"), to / "images" / (n + ".jpg"));
    if (with_labels) fs::copy_file(data / "coco128" / "labels" / (n + ".txt"), to / "labels" / (n + ".txt"));
  }
  return to;
}

// One row of the printed table: class name (may hold spaces), images, instances, P, R, mAP50, mAP50-95.
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
    if (w.size() < 7) {
      ADD_FAILURE() << "short table row: " << line;
      continue;
    }
    TableRow row;
    row.cells.assign(w.end() - 6, w.end());
    for (auto it = w.begin(); it != w.end() - 6; ++it) row.name += (row.name.empty() ? "" : " ") + *it;
    rows.push_back(row);
  }
  return rows;
}

TEST(CliDetectEvaluate, TheTablePrintsTheJsonAndTheLabelsAreCounted) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto set = copy_coco_images(data, tmp / "coco6", true);
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
  EXPECT_EQ(rows[0].name, "all");
  EXPECT_EQ(rows[0].cells, (std::vector<std::string>{std::to_string(kCocoImages.size()), std::to_string(objects),
                                                     f3(j["precision"]), f3(j["recall"]), f3(j["map50"]),
                                                     f3(j["map50_95"])}));
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
    EXPECT_EQ(rows[i + 1].cells, (std::vector<std::string>{std::to_string(c["images"].get<int64_t>()),
                                                           std::to_string(c["instances"].get<int64_t>()),
                                                           f3(c["precision"]), f3(c["recall"]),
                                                           has ? f3(c["ap50"]) : "-", has ? f3(c["ap50_95"]) : "-"}));
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

// The whole pipeline checked end to end: label a dataset with the model's own detections (from `tint detect`'s JSON,
// written back as YOLO labels) and evaluate the same model with the same input size and resize: every detection that
// reaches --conf 0.25 is a perfect match of a label and ranks above everything else, so mAP@0.5 (and 0.5:0.95, as the
// boxes are the same to float precision) is exactly 1, and precision and recall at 0.25 are 1. NMS uses detect's
// IoU 0.45 so that both keep the same boxes. Evaluated at another input size, the same labels score below 1.
TEST(CliDetectEvaluate, OwnDetectionsAsLabelsScoreExactlyOne) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  const auto set = copy_coco_images(data, tmp / "self", false);
  const std::string model_flags = " --size 352 --resize letterbox --iou 0.45 --threads 1";
  auto d = run_tint("detect " + q(set / "images") + " --out-dir " + q(tmp / "det") + model_flags);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  int64_t labels = 0;
  for (const auto& n : kCocoImages) {
    const json j = read_json(tmp / "det" / (n + "_detections.json"));
    ASSERT_EQ(j.at("input"), (json{{"width", 352}, {"height", 352}, {"resize", "letterbox"}}));
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
  EXPECT_NE(e.out.find("all                  6"), std::string::npos) << e.out;

  auto other = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "other.json") +
                        " --size 320 --resize letterbox --iou 0.45 --threads 1");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_LT(read_json(tmp / "other.json").at("map50_95").get<double>(), 0.99);
}

TEST(CliDetectEvaluate, BadInputIsRefused) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data);
  test::TempDir tmp;
  auto none = run_tint("detect evaluate --data " + q(tmp / "missing"));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(test::count_lines(none.err), 1u) << none.err;
  EXPECT_NE(none.err.find("missing"), std::string::npos) << none.err;
  // A label of a class the model does not have: refused naming the file and the line.
  const auto set = copy_coco_images(data, tmp / "bad", true);
  test::write_bytes(set / "labels" / "000000000030.txt", "75 0.5 0.5 0.2 0.2\n80 0.5 0.5 0.1 0.1\n");
  auto bad = run_tint("detect evaluate --data " + q(set) + " --json " + q(tmp / "e.json") + " --threads 1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(test::count_lines(bad.err), 1u) << bad.err;
  EXPECT_NE(bad.err.find("000000000030.txt:2:"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(tmp / "e.json"));
}

}  // namespace
}  // namespace tint::cli_detect_test
