// Detection datasets (data/detection_dataset.h) and image sizes from headers (data/image_size.h): small layouts built
// here, and the real COCO128 and raccoon sets when ../shared/data/detection is present, whose counts the data's
// README states (128 images / 929 boxes; 200 / 217) and whose raccoon split CSVs list every box a second time.
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/data/detection_dataset.h"
#include "tint/data/detection_labels.h"
#include "tint/data/image_io.h"
#include "tint/data/image_size.h"

namespace tint::data {
namespace {
namespace fs = std::filesystem;

void write_image_file(const fs::path& path, int width, int height) {
  fs::create_directories(path.parent_path());
  write_image(path, torch::zeros({3, height, width}, torch::kUInt8));
}

// Writes a file, creating its folders (test::write_bytes does not).
void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  write_file_atomic(path, bytes);
}

std::string message_of(const std::function<void()>& f) { return test::error_of(f); }

TEST(ImageSize, HeadersGiveTheSizeReadImageReturns) {
  // The fixtures of the codec tests: EXIF orientations 1-8 (5-8 store the 24 x 16 picture turned: 16 x 24 stored),
  // progressive and grey JPEG, PNG kinds, WebP (decoded in full).
  const auto images = test::source_dir() / "tests" / "data" / "images";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(images)) {
    const auto name = entry.path().filename().string();
    if (!is_readable_image_name(entry.path()) || name.rfind("bomb", 0) == 0) continue;  // bombs exceed the limit
    SCOPED_TRACE(name);
    const auto pixels = read_image(entry.path());
    const auto size = read_image_size(entry.path());
    EXPECT_EQ(size.width, pixels.size(2));
    EXPECT_EQ(size.height, pixels.size(1));
    ++checked;
  }
  EXPECT_GE(checked, 20);
  const auto turned = read_image_size(images / "orientation_6.jpg");
  EXPECT_EQ(turned.width, 24);
  EXPECT_EQ(turned.height, 16);
  EXPECT_NE(message_of([] { image_size_of("not an image", "junk.png"); }).find("junk.png"), std::string::npos);
  EXPECT_NE(message_of([] { image_size_of(std::string("\xFF\xD8\xFF\xE0\x00", 5), "cut.jpg"); }).find("cut.jpg"),
            std::string::npos);
}

TEST(DetectionDataset, YoloLayoutWithNestedFoldersAndUnlabelledImages) {
  test::TempDir tmp;
  const auto dir = tmp.path();
  write_image_file(dir / "images" / "a.jpg", 40, 20);
  write_image_file(dir / "images" / "sub" / "b.png", 10, 30);
  write_image_file(dir / "images" / "c.png", 8, 8);  // no label file: no objects
  put(dir / "images" / "notes.md", "not an image");
  put(dir / "labels" / "classes.txt", "cat\ndog\n");  // labelImg's names file, not a label
  put(dir / "labels" / "a.txt", "1 0.5 0.5 0.5 0.5\n0 0.25 0.25 0.5 0.5\n");
  put(dir / "labels" / "sub" / "b.txt", "0 0.5 0.5 1 0.2\n");
  const auto d = read_detection_dataset(dir, {"cat", "dog"});
  EXPECT_EQ(d.format, LabelFormat::Yolo);
  ASSERT_EQ(d.images.size(), 3u);
  ASSERT_EQ(d.num_objects(), 3);
  ASSERT_EQ(d.images[0].objects.size(), 2u);
  EXPECT_EQ(d.images[0].path, dir / "images" / "a.jpg");
  EXPECT_EQ(d.images[0].width, 40);
  EXPECT_EQ(d.images[0].height, 20);
  // a.jpg 40 x 20: cx .5 cy .5 w .5 h .5 -> x 10..30, y 5..15; cx .25 cy .25 -> x 0..20, y 0..10.
  EXPECT_EQ(d.images[0].objects[0].class_id, 1);
  EXPECT_FLOAT_EQ(d.images[0].objects[0].box.x1, 10);
  EXPECT_FLOAT_EQ(d.images[0].objects[0].box.y2, 15);
  EXPECT_FLOAT_EQ(d.images[0].objects[1].box.x2, 20);
  EXPECT_EQ(d.images[1].path, dir / "images" / "c.png");
  EXPECT_TRUE(d.images[1].objects.empty());
  // sub/b.png 10 x 30: w 1, h .2 -> x 0..10, y 12..18.
  EXPECT_EQ(d.images[2].label_path, dir / "labels" / "sub" / "b.txt");
  EXPECT_FLOAT_EQ(d.images[2].objects[0].box.y1, 12);
  EXPECT_FLOAT_EQ(d.images[2].objects[0].box.x2, 10);

  // A label whose image is missing (a misnamed image would lose its boxes) and a bad label line are refused.
  put(dir / "labels" / "d.txt", "0 0.5 0.5 0.1 0.1\n");
  auto m = message_of([&] { read_detection_dataset(dir, {"cat", "dog"}); });
  EXPECT_NE(m.find("d.txt: label file without an image"), std::string::npos) << m;
  fs::remove(dir / "labels" / "d.txt");
  put(dir / "labels" / "c.txt", "\n2 0.5 0.5 0.1 0.1\n");
  m = message_of([&] { read_detection_dataset(dir, {"cat", "dog"}); });
  EXPECT_NE(m.find("c.txt:2: class id 2 is out of range"), std::string::npos) << m;
}

TEST(DetectionDataset, VocLayoutNeedsAnAnnotationPerImage) {
  test::TempDir tmp;
  const auto dir = tmp.path();
  write_image_file(dir / "images" / "r1.jpg", 30, 20);
  write_image_file(dir / "images" / "r2.jpg", 30, 20);
  const auto xml = [](int w, int h, const char* box) {
    return fmt::format(
        "<annotation><size><width>{}</width><height>{}</height></size><object><name>raccoon</name>"
        "<bndbox>{}</bndbox></object></annotation>",
        w, h, box);
  };
  put(dir / "annotations" / "r1.xml", xml(30, 20, "<xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>20</ymax>"));
  auto m = message_of([&] { read_detection_dataset(dir, {"raccoon"}); });
  EXPECT_NE(m.find("r2.jpg: no annotation for this image"), std::string::npos) << m;
  put(dir / "annotations" / "r2.xml", xml(20, 30, "<xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"));
  m = message_of([&] { read_detection_dataset(dir, {"raccoon"}); });
  EXPECT_NE(m.find("r2.xml:1: <size> says 20 x 30 but the image is 30 x 20"), std::string::npos) << m;
  put(dir / "annotations" / "r2.xml", xml(30, 20, "<xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax>"));
  const auto d = read_detection_dataset(dir, {"raccoon"});
  EXPECT_EQ(d.format, LabelFormat::Voc);
  ASSERT_EQ(d.images.size(), 2u);
  EXPECT_FLOAT_EQ(d.images[0].objects[0].box.x1, 0);   // xmin 1 -> 0
  EXPECT_FLOAT_EQ(d.images[0].objects[0].box.y1, 1);   // ymin 2 -> 1
  EXPECT_FLOAT_EQ(d.images[0].objects[0].box.x2, 30);  // xmax 30 -> 30
  // Both layouts at once, or neither, is ambiguous.
  fs::create_directories(dir / "labels");
  m = message_of([&] { read_detection_dataset(dir, {"raccoon"}); });
  EXPECT_NE(m.find("labels/ yes, annotations/ yes"), std::string::npos) << m;
  m = message_of([&] { read_detection_dataset(tmp / "nowhere", {"raccoon"}); });
  EXPECT_NE(m.find("nowhere: expected images/"), std::string::npos) << m;
}

TEST(DetectionDataset, ImageListsAreCsvWithAFilenameColumnOrOneNamePerLine) {
  const auto csv = parse_image_list(
      "class,\"filename\",xmin\nraccoon,a.jpg,1\nraccoon,\"b, 2.jpg\",3\nraccoon,a.jpg,5\n", "split.csv");
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0].name, "a.jpg");
  EXPECT_EQ(csv[0].line, 2);
  EXPECT_EQ(csv[1].name, "b, 2.jpg");
  const auto plain = parse_image_list("sub/x.png\n\ny.jpg\r\n", "list.txt");
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[1].name, "y.jpg");
  EXPECT_EQ(plain[1].line, 3);
  EXPECT_NE(message_of([] { parse_image_list("name,xmin\na,1\n", "s.csv"); })
                .find("s.csv:1: the CSV header has no "
                      "'filename' column"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_image_list("filename,w\n\"a.jpg,1\n", "s.csv"); }).find("s.csv:2: unclosed quote"),
            std::string::npos);
  EXPECT_NE(message_of([] { parse_image_list("w,filename\n1\n", "s.csv"); }).find("s.csv:2"), std::string::npos);
  EXPECT_NE(message_of([] { parse_image_list("\n", "s.csv"); }).find("lists no images"), std::string::npos);

  test::TempDir tmp;
  write_image_file(tmp / "images" / "a.jpg", 8, 8);
  write_image_file(tmp / "images" / "sub" / "b.jpg", 8, 8);
  write_image_file(tmp / "images" / "other" / "b.jpg", 8, 8);
  fs::create_directories(tmp / "labels");
  put(tmp / "list.txt", "sub/b.jpg\na.jpg\n");
  auto d = read_detection_dataset(tmp.path(), {"x"}, {tmp / "list.txt"});
  ASSERT_EQ(d.images.size(), 2u);  // in dataset order, not the list's
  EXPECT_EQ(d.images[0].path, tmp / "images" / "a.jpg");
  EXPECT_EQ(d.images[1].path, tmp / "images" / "sub" / "b.jpg");
  put(tmp / "list.txt", "a.jpg\nb.jpg\n");
  auto m = message_of([&] { read_detection_dataset(tmp.path(), {"x"}, {tmp / "list.txt"}); });
  EXPECT_NE(m.find("list.txt:2: 'b.jpg' names 2 images"), std::string::npos) << m;
  put(tmp / "list.txt", "a.jpg\nc.jpg\n");
  m = message_of([&] { read_detection_dataset(tmp.path(), {"x"}, {tmp / "list.txt"}); });
  EXPECT_NE(m.find("list.txt:2: image 'c.jpg' is not in"), std::string::npos) << m;
}

TEST(DetectionDataset, Coco128Has128ImagesAnd929Boxes) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "coco128");
  const auto names = read_names(test::embedded_yolo_fastest_dir() / "coco.names");
  const auto start = std::chrono::steady_clock::now();
  const auto d = read_detection_dataset(data / "coco128", names);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "read_detection_dataset(coco128): " << ms << " ms\n";
  EXPECT_EQ(d.format, LabelFormat::Yolo);
  ASSERT_EQ(d.images.size(), 128u);
  EXPECT_EQ(d.num_objects(), 929);
  int unlabelled = 0;
  for (const auto& image : d.images) {
    unlabelled += !fs::exists(image.label_path);
    for (const auto& o : image.objects) {
      ASSERT_GE(o.box.x1, 0);
      ASSERT_LE(o.box.x2, image.width) << image.path;
      ASSERT_GT(o.box.x2, o.box.x1);
    }
  }
  EXPECT_EQ(unlabelled, 2);  // 000000000250 and 000000000508, as the README says
  // 000000000009.jpg is 640 x 480; its first label line "45 0.479492 0.688771 0.955609 0.5955" is a bowl at
  // x (0.479492 -+ 0.4778045) * 640 = 1.08 .. 612.67, y (0.688771 -+ 0.29775) * 480 = 187.69 .. 473.53.
  const auto& first = d.images[0];
  EXPECT_EQ(first.path.filename(), "000000000009.jpg");
  EXPECT_EQ(first.width, 640);
  EXPECT_EQ(first.height, 480);
  EXPECT_EQ(names[first.objects[0].class_id], "bowl");
  EXPECT_NEAR(first.objects[0].box.x1, 1.08, 0.01);
  EXPECT_NEAR(first.objects[0].box.x2, 612.67, 0.01);
  EXPECT_NEAR(first.objects[0].box.y1, 187.69, 0.01);
  EXPECT_NEAR(first.objects[0].box.y2, 473.53, 0.01);
  // The header sizes are the decoded sizes (every 8th image, to keep the test quick).
  for (size_t i = 0; i < d.images.size(); i += 8) {
    const auto pixels = read_image(d.images[i].path);
    EXPECT_EQ(d.images[i].width, pixels.size(2)) << d.images[i].path;
    EXPECT_EQ(d.images[i].height, pixels.size(1)) << d.images[i].path;
  }
}

// The split CSVs: one row per box (filename, width, height, class, xmin, ymin, xmax, ymax), read here by hand.
struct CsvBox {
  int width, height, xmin, ymin, xmax, ymax;
};
std::multimap<std::string, CsvBox> read_split_csv(const fs::path& file) {
  std::multimap<std::string, CsvBox> rows;
  std::istringstream in(read_file(file));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    for (char& c : line) c = c == ',' ? ' ' : c;
    std::istringstream fields(line);
    std::string name, cls;
    CsvBox b;
    fields >> name >> b.width >> b.height >> cls >> b.xmin >> b.ymin >> b.xmax >> b.ymax;
    rows.emplace(name, b);
  }
  return rows;
}

TEST(DetectionDataset, RaccoonHas200ImagesAnd217BoxesAndTheAuthorsSplit) {
  TINT_SKIP_WITHOUT_DETECTION_DATA(data, "raccoon");
  const auto dir = data / "raccoon";
  const auto all = read_detection_dataset(dir, {"raccoon"});
  EXPECT_EQ(all.format, LabelFormat::Voc);
  EXPECT_EQ(all.images.size(), 200u);
  EXPECT_EQ(all.num_objects(), 217);

  std::set<fs::path> seen;
  for (const char* split : {"train_labels.csv", "test_labels.csv"}) {
    SCOPED_TRACE(split);
    const auto rows = read_split_csv(dir / "data" / split);
    const auto d = read_detection_dataset(dir, {"raccoon"}, {dir / "data" / split});
    std::set<std::string> files;
    for (const auto& [name, box] : rows) files.insert(name);
    EXPECT_EQ(d.images.size(), files.size());
    EXPECT_EQ(d.num_objects(), static_cast<int64_t>(rows.size()));
    for (const auto& image : d.images) {
      EXPECT_TRUE(seen.insert(image.path).second) << image.path << " is in both splits";
      // Every box of the XML is a row of the CSV, 1-based inclusive: x1 = xmin - 1, x2 = xmax.
      const auto [begin, end] = rows.equal_range(image.path.filename().string());
      ASSERT_EQ(static_cast<size_t>(std::distance(begin, end)), image.objects.size()) << image.path;
      for (const auto& o : image.objects) {
        bool found = false;
        for (auto it = begin; it != end; ++it) {
          const auto& b = it->second;
          EXPECT_EQ(b.width, image.width);
          EXPECT_EQ(b.height, image.height);
          found |= o.box.x1 == b.xmin - 1 && o.box.y1 == b.ymin - 1 && o.box.x2 == b.xmax && o.box.y2 == b.ymax;
        }
        EXPECT_TRUE(found) << image.path;
      }
    }
    EXPECT_EQ(d.images.size(), std::string(split) == "train_labels.csv" ? 160u : 40u);
  }
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace tint::data
