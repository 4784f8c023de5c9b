// COCO instances JSON (data/coco_json.h), the COCO dataset layout, and write_detection_dataset (`tint detect
// convert`): category ids mapped by position, iscrowd as difficult, one-line errors naming the file and the element,
// and round trips YOLO -> COCO -> VOC -> YOLO that keep every box within the rounding each format writes.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/coco_json.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"

namespace tint::data {
namespace coco_json_test {
namespace {
namespace fs = std::filesystem;

void put_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  write_file_atomic(path, bytes);
}

void put_image(const fs::path& path, int width, int height) {
  fs::create_directories(path.parent_path());
  write_image(path, torch::zeros({3, height, width}, torch::kUInt8));
}

const char* kTwoImages = R"({
  "info": {"description": "test"},
  "images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 20},
             {"id": 3, "file_name": "sub/b.png", "width": 10, "height": 30}],
  "annotations": [
    {"id": 1, "image_id": 7, "category_id": 18, "bbox": [1.5, 2, 10, 8], "iscrowd": 0, "area": 80},
    {"id": 2, "image_id": 3, "category_id": 1, "bbox": [0, 0, 10, 30], "iscrowd": 1},
    {"id": 5, "image_id": 7, "category_id": 1, "bbox": [30, 10, 10.0000001, 10]}],
  "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}]
})";

TEST(CocoJson, CategoriesMapByPositionAndCrowdsAreDifficult) {
  const auto c = parse_coco_json(kTwoImages, "instances.json");
  EXPECT_EQ(c.names, (std::vector<std::string>{"dog", "person"}));
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.images[0].id, 7);
  EXPECT_EQ(c.images[0].file_name, "a.png");
  ASSERT_EQ(c.images[0].objects.size(), 2u);
  const auto& dog = c.images[0].objects[0];
  EXPECT_EQ(dog.class_id, 0);  // category 18 is the first listed
  EXPECT_FALSE(dog.difficult);
  EXPECT_FLOAT_EQ(dog.box.x1, 1.5f);
  EXPECT_FLOAT_EQ(dog.box.y1, 2);
  EXPECT_FLOAT_EQ(dog.box.x2, 11.5f);
  EXPECT_FLOAT_EQ(dog.box.y2, 10);
  EXPECT_FLOAT_EQ(c.images[0].objects[1].box.x2, 40);  // 1e-7 past the edge: clipped
  ASSERT_EQ(c.images[1].objects.size(), 1u);
  EXPECT_EQ(c.images[1].objects[0].class_id, 1);
  EXPECT_TRUE(c.images[1].objects[0].difficult);
}

// Each bad input: one line naming the file and the element, saying what is wrong.
TEST(CocoJson, BadInputIsOneLineNamingTheElement) {
  const auto error_for = [](const std::string& json) {
    return test::error_of([&] { parse_coco_json(json, "instances.json"); });
  };
  const std::string cats = R"("categories": [{"id": 1, "name": "cat"}])";
  const std::string image = R"("images": [{"id": 1, "file_name": "a.jpg", "width": 50, "height": 40}])";
  const auto with = [&](const std::string& annotation) {
    return "{" + image + ", " + cats + R"(, "annotations": [)" + annotation + "]}";
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {with(R"({"id": 4, "image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5]})"),
       "instances.json: annotations[0] (id 4): image_id 2 is not in \"images\""},
      {with(R"({"id": 4, "image_id": 1, "category_id": 9, "bbox": [0, 0, 5, 5]})"),
       "instances.json: annotations[0] (id 4): category_id 9 is not in \"categories\""},
      {with(R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, -5, 5]})"),
       "instances.json: annotations[0]: bbox width -5 height 5: expected both > 0"},
      {with(R"({"image_id": 1, "category_id": 1, "bbox": [45, 0, 10, 5]})"),
       "instances.json: annotations[0]: bbox [45,0,10,5] reaches outside image 1 (50 x 40)"},
      {with(R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, 5]})"), "expected [x, y, width, height]"},
      {with(R"({"image_id": 1, "category_id": 1, "bbox": [0, "a", 5, 5]})"), "holds a non-number"},
      {with(R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "iscrowd": 2})"), "\"iscrowd\" is 2"},
      {with(R"({"image_id": 1, "bbox": [0, 0, 5, 5]})"), "annotations[0]: no \"category_id\""},
      {with(R"({"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5]}, {"id": 1, "image_id": 1,
             "category_id": 1, "bbox": [0, 0, 5, 5]})"),
       "annotations[1] (id 1): annotation id 1 is given twice"},
      {"{" + cats + R"(, "annotations": [], "images": [{"id": 1, "file_name": "a.jpg", "width": -3, "height": 4}])" +
           "}",
       "images[0] (id 1): \"width\" is -3; expected a positive image size"},
      {"{" + cats + R"(, "annotations": [], "images": [{"id": 1, "file_name": "a.jpg", "width": 3, "height": 4},
                                             {"id": 1, "file_name": "b.jpg", "width": 3, "height": 4}])" +
           "}",
       "images[1] (id 1): image id 1 is given twice"},
      {"{" + image + R"(, "annotations": [], "categories": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]})",
       "categories[1] (id 1): category id 1 is given twice"},
      {"{" + image + R"(, "annotations": [], "categories": []})", "\"categories\" is empty"},
      {"{" + image + ", " + cats + "}", "expected a \"annotations\" array"},
      {"[1, 2]", "expected a JSON object"},
      {"{\n\"images\": [\n", "instances.json:3: not valid JSON"},
  };
  for (const auto& [json, expected] : cases) {
    SCOPED_TRACE(json);
    const auto message = error_for(json);
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("instances.json", 0), 0u) << message;
  }
}

// A COCO layout on disk: images/ + annotations/instances.json; unlisted images, missing images and a JSON size that
// is not the image's are refused naming the file.
TEST(CocoJson, DatasetLayoutReadsAndChecksTheImages) {
  test::TempDir tmp;
  const auto dir = tmp.path();
  put_image(dir / "images" / "a.png", 40, 20);
  put_image(dir / "images" / "sub" / "b.png", 10, 30);
  put_file(dir / "annotations" / "instances.json", kTwoImages);
  const auto d = read_detection_dataset(dir, {});
  EXPECT_EQ(d.format, LabelFormat::Coco);
  EXPECT_EQ(d.names, (std::vector<std::string>{"dog", "person"}));
  ASSERT_EQ(d.images.size(), 2u);
  EXPECT_EQ(d.images[0].path, dir / "images" / "a.png");
  EXPECT_EQ(d.images[0].objects.size(), 2u);
  EXPECT_EQ(d.images[1].objects.size(), 1u);
  EXPECT_EQ(d.num_objects(), 3);
  // A names list of the same length replaces the categories' names; another length is refused.
  EXPECT_EQ(read_detection_dataset(dir, {"a", "b"}).names, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(test::error_of([&] {
              read_detection_dataset(dir, {"a", "b", "c"});
            }).find("2 categories, but"),
            std::string::npos);
  // --coco elsewhere.
  DetectionDatasetOptions elsewhere;
  fs::rename(dir / "annotations" / "instances.json", dir / "train.json");
  fs::remove(dir / "annotations");
  elsewhere.coco_json = dir / "train.json";
  EXPECT_EQ(read_detection_dataset(dir, {}, elsewhere).num_objects(), 3);

  put_image(dir / "images" / "c.png", 8, 8);
  auto e = test::error_of([&] { read_detection_dataset(dir, {}, elsewhere); });
  EXPECT_NE(e.find("c.png: image not listed in"), std::string::npos) << e;
  fs::remove(dir / "images" / "c.png");
  fs::remove(dir / "images" / "a.png");
  e = test::error_of([&] { read_detection_dataset(dir, {}, elsewhere); });
  EXPECT_NE(e.find("train.json: image 7 'a.png' is not in"), std::string::npos) << e;
  put_image(dir / "images" / "a.png", 41, 20);
  e = test::error_of([&] { read_detection_dataset(dir, {}, elsewhere); });
  EXPECT_NE(e.find("image 7 'a.png' is 40 x 20 in the JSON but 41 x 20 on disk"), std::string::npos) << e;
}

// The boxes of two datasets, image by image: the same classes and flags, corners within `tolerance` pixels.
void expect_same_boxes(const DetectionDataset& a, const DetectionDataset& b, double tolerance, bool difficult_kept) {
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    SCOPED_TRACE(a.images[i].path.string());
    EXPECT_EQ(a.images[i].path.lexically_relative(a.dir), b.images[i].path.lexically_relative(b.dir));
    ASSERT_EQ(a.images[i].objects.size(), b.images[i].objects.size());
    for (size_t k = 0; k < a.images[i].objects.size(); ++k) {
      const auto &p = a.images[i].objects[k], &q = b.images[i].objects[k];
      EXPECT_EQ(p.class_id, q.class_id);
      if (difficult_kept) {
        EXPECT_EQ(p.difficult, q.difficult);
      }
      EXPECT_NEAR(p.box.x1, q.box.x1, tolerance);
      EXPECT_NEAR(p.box.y1, q.box.y1, tolerance);
      EXPECT_NEAR(p.box.x2, q.box.x2, tolerance);
      EXPECT_NEAR(p.box.y2, q.box.y2, tolerance);
    }
  }
}

// YOLO -> COCO -> VOC -> YOLO on a small set built here: COCO keeps the boxes to 1/1000 pixel (plus float), VOC
// rounds each corner to a whole pixel (0.5 pixel at most), YOLO's 6 decimals move a corner by 0.5e-6 of the side. The
// names file travels along, images are hard links, and crowds survive COCO -> VOC.
TEST(DetectionConvert, RoundTripsKeepTheBoxesWithinRounding) {
  test::TempDir tmp;
  const auto src = tmp / "yolo";
  put_image(src / "images" / "a.png", 64, 48);
  put_image(src / "images" / "deep" / "b.jpg", 33, 71);
  put_image(src / "images" / "empty.png", 16, 16);
  put_file(src / "labels" / "a.txt", "0 0.5 0.5 0.25 0.5\n2 0.1 0.2 0.2 0.4\n1 0.9 0.9 0.2 0.2\n");
  put_file(src / "labels" / "deep" / "b.txt", "1 0.333333 0.6 0.5 0.1\n");
  put_file(src / "classes.names", "cat\ndog & co\n<bird>\n");
  const auto names = read_names(dataset_names_file(src));
  const auto yolo = read_detection_dataset(src, names);
  EXPECT_EQ(yolo.num_objects(), 4);

  const auto w1 = write_detection_dataset(yolo, tmp / "coco", LabelFormat::Coco);
  EXPECT_EQ(w1.images, 3);
  EXPECT_EQ(w1.objects, 4);
  EXPECT_EQ(w1.linked, 3);
  EXPECT_EQ(fs::hard_link_count(tmp / "coco" / "images" / "deep" / "b.jpg"), 2u);
  EXPECT_EQ(read_file(tmp / "coco" / "classes.names"), "cat\ndog & co\n<bird>\n");
  const auto coco = read_detection_dataset(tmp / "coco", {});
  EXPECT_EQ(coco.format, LabelFormat::Coco);
  EXPECT_EQ(coco.names, names);
  expect_same_boxes(yolo, coco, 1e-3, true);

  write_detection_dataset(coco, tmp / "voc", LabelFormat::Voc);
  const auto voc = read_detection_dataset(tmp / "voc", read_names(tmp / "voc" / "classes.names"));
  EXPECT_EQ(voc.format, LabelFormat::Voc);
  expect_same_boxes(coco, voc, 0.5 + 1e-4, true);

  write_detection_dataset(voc, tmp / "back", LabelFormat::Yolo);
  const auto back = read_detection_dataset(tmp / "back", read_names(tmp / "back" / "classes.names"));
  EXPECT_EQ(back.format, LabelFormat::Yolo);
  expect_same_boxes(voc, back, 71 * 0.5e-6 + 1e-4, false);
  expect_same_boxes(yolo, back, 0.5 + 1e-3 + 71 * 1e-6, false);
  EXPECT_FALSE(fs::exists(tmp / "back" / "labels" / "empty.txt"));  // no objects: no label file, as COCO128

  // A crowd (COCO) becomes <difficult>1 in VOC and back.
  put_file(tmp / "crowd" / "annotations" / "instances.json", kTwoImages);
  put_image(tmp / "crowd" / "images" / "a.png", 40, 20);
  put_image(tmp / "crowd" / "images" / "sub" / "b.png", 10, 30);
  const auto crowd = read_detection_dataset(tmp / "crowd", {});
  write_detection_dataset(crowd, tmp / "crowd-voc", LabelFormat::Voc);
  const auto crowd_voc = read_detection_dataset(tmp / "crowd-voc", crowd.names);
  EXPECT_TRUE(crowd_voc.images[1].objects[0].difficult);
  expect_same_boxes(crowd, crowd_voc, 0.5 + 1e-4, true);
}

// An existing non-empty target is refused before anything is written; a failure part-way leaves no folder.
TEST(DetectionConvert, RefusesAnOccupiedTargetAndLeavesNothingOnFailure) {
  test::TempDir tmp;
  put_image(tmp / "src" / "images" / "a.png", 20, 20);
  put_file(tmp / "src" / "labels" / "a.txt", "0 0.5 0.5 0.5 0.5\n");
  const auto set = read_detection_dataset(tmp / "src", {"x"});
  put_file(tmp / "taken" / "keep.txt", "mine");
  const auto e = test::error_of([&] { write_detection_dataset(set, tmp / "taken", LabelFormat::Voc); });
  EXPECT_NE(e.find("already exists and is not an empty folder"), std::string::npos) << e;
  EXPECT_EQ(read_file(tmp / "taken" / "keep.txt"), "mine");
  // The image vanished after reading: the copy fails, no target and no temporary folder remain.
  fs::remove(tmp / "src" / "images" / "a.png");
  const auto gone = test::error_of([&] { write_detection_dataset(set, tmp / "out", LabelFormat::Coco); });
  EXPECT_NE(gone.find("a.png"), std::string::npos) << gone;
  EXPECT_FALSE(fs::exists(tmp / "out"));
  for (const auto& entry : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  // An empty folder is a fine target.
  fs::create_directories(tmp / "empty");
  put_image(tmp / "src" / "images" / "a.png", 20, 20);
  EXPECT_EQ(write_detection_dataset(set, tmp / "empty", LabelFormat::Yolo).objects, 1);
  // A folder named with a trailing '/': the dataset goes into it, not into a temporary folder inside it.
  EXPECT_EQ(write_detection_dataset(set, tmp.path() / "slash/", LabelFormat::Coco).images, 1);
  EXPECT_TRUE(fs::exists(tmp / "slash" / "annotations" / "instances.json"));
  EXPECT_EQ(read_detection_dataset(tmp / "slash", {}).num_objects(), 1);
}

// YOLO labels written and read back: within half a unit of the 6th decimal; VOC XML escapes names.
TEST(DetectionLabels, YoloAndVocWritersReadBack) {
  const std::vector<LabelledBox> boxes{{{1.25f, 2.5f, 30.125f, 40.0f}, 3, false}, {{0, 0, 640, 480}, 0, true}};
  const auto text = format_yolo_labels(boxes, 640, 480);
  EXPECT_EQ(text, "3 0.024512 0.044271 0.045117 0.078125\n0 0.500000 0.500000 1.000000 1.000000\n");
  const auto back = parse_yolo_labels(text, "t.txt", 4, 640, 480);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_NEAR(back[0].box.x1, 1.25, 640 * 1e-6);
  EXPECT_NEAR(back[0].box.y2, 40, 480 * 1e-6);
  EXPECT_EQ(back[1].box.x2, 640);
  VocAnnotation a;
  a.filename = "a&b.jpg";
  a.width = 640;
  a.height = 480;
  a.objects = boxes;
  const std::vector<std::string> names{"x<y", "b", "c", "d\"e"};
  const auto xml = format_voc_xml(a, names);
  EXPECT_NE(xml.find("<name>x&lt;y</name>"), std::string::npos) << xml;
  const auto parsed = parse_voc_xml(xml, "a.xml", names);
  EXPECT_EQ(parsed.filename, "a&b.jpg");
  ASSERT_EQ(parsed.objects.size(), 2u);
  EXPECT_EQ(parsed.objects[0].class_id, 3);
  EXPECT_FLOAT_EQ(parsed.objects[0].box.x1, 1);  // rounded to whole pixels
  EXPECT_FLOAT_EQ(parsed.objects[0].box.x2, 30);
  EXPECT_TRUE(parsed.objects[1].difficult);
  EXPECT_FLOAT_EQ(parsed.objects[1].box.x2, 640);
}

}  // namespace
}  // namespace coco_json_test
}  // namespace tint::data
