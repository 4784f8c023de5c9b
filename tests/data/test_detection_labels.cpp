// Detection label files (data/detection_labels.h): names files, YOLO txt and Pascal VOC XML, each against boxes
// computed by hand from the file's numbers, and every refusal naming the file and line.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/data/detection_labels.h"

namespace tint::data {
namespace {
namespace fs = std::filesystem;

void expect_box(const LabelledBox& got, Box want, int cls, bool difficult = false) {
  EXPECT_FLOAT_EQ(got.box.x1, want.x1);
  EXPECT_FLOAT_EQ(got.box.y1, want.y1);
  EXPECT_FLOAT_EQ(got.box.x2, want.x2);
  EXPECT_FLOAT_EQ(got.box.y2, want.y2);
  EXPECT_EQ(got.class_id, cls);
  EXPECT_EQ(got.difficult, difficult);
}

// The error's message, which must contain every one of `parts`.
void expect_error(const std::function<void()>& f, std::initializer_list<const char*> parts) {
  const auto message = test::error_of(f);
  for (const char* part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' in: " << message;
  EXPECT_EQ(test::count_lines(message + "\n"), 1u) << message;
}

TEST(NamesFile, OneNamePerLineTrailingBlankLinesAllowed) {
  EXPECT_EQ(parse_names("person\r\nbicycle\n  traffic light \n\n\n", "n"),
            (std::vector<std::string>{"person", "bicycle", "traffic light"}));
  EXPECT_EQ(parse_names("raccoon", "n"), (std::vector<std::string>{"raccoon"}));
  expect_error([] { parse_names("a\n\nb\n", "x.names"); }, {"x.names:2", "blank line between"});
  expect_error([] { parse_names("\na\n", "x.names"); }, {"x.names:1", "before the first"});
  expect_error([] { parse_names("a\nb\na\n", "x.names"); }, {"x.names:3", "repeats line 1"});
  expect_error([] { parse_names("\n \n", "x.names"); }, {"x.names", "no class names"});
  expect_error([] { read_names("/nonexistent/coco.names"); }, {"/nonexistent/coco.names"});
}

TEST(NamesFile, ReadsTheEightyCocoNames) {
  const auto names = read_names(test::embedded_yolo_fastest_dir() / "coco.names");
  ASSERT_EQ(names.size(), 80u);
  EXPECT_EQ(names[0], "person");
  EXPECT_EQ(names[9], "traffic light");
  EXPECT_EQ(names[79], "toothbrush");
}

TEST(YoloLabels, NormalisedCentreAndSizeBecomePixelCorners) {
  // 200 x 100 image. Line 1: cx 0.5, cy 0.5, w 0.2, h 0.4 -> x 0.4..0.6 of 200 = 80..120, y 0.3..0.7 of 100 = 30..70.
  // Line 3: cx 0.125 cy 0.25 w 0.25 h 0.5 -> x 0..50, y 0..50 (touching the corner).
  const auto boxes = parse_yolo_labels("0 0.5 0.5 0.2 0.4\n\n2\t0.125 0.25  0.25 0.5\r\n", "l.txt", 3, 200, 100);
  ASSERT_EQ(boxes.size(), 2u);
  expect_box(boxes[0], {80, 30, 120, 70}, 0);
  expect_box(boxes[1], {0, 0, 50, 50}, 2);
  EXPECT_TRUE(parse_yolo_labels("", "empty.txt", 3, 200, 100).empty());
  EXPECT_TRUE(parse_yolo_labels("\n  \n", "blank.txt", 3, 200, 100).empty());
}

TEST(YoloLabels, RoundingPastTheEdgeIsClippedMoreIsRefused) {
  // COCO128's labels overshoot the edge by up to 5e-7 (6 decimals): cx 0.95 + w/2 0.0500005 = 1.0000005 -> x2 = 200.
  const auto boxes = parse_yolo_labels("1 0.95 0.5 0.100001 0.2\n", "l.txt", 2, 200, 100);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_FLOAT_EQ(boxes[0].box.x2, 200.0f);
  EXPECT_NEAR(boxes[0].box.x1, 0.8999995 * 200, 1e-3);
  // 0.95 + 0.1 = 1.05: outside.
  expect_error([] { parse_yolo_labels("0 0.5 0.5 0.1 0.1\n0 0.95 0.5 0.2 0.2\n", "l.txt", 2, 200, 100); },
               {"l.txt:2", "outside the image"});
  expect_error([] { parse_yolo_labels("0 0.02 0.5 0.1 0.1\n", "l.txt", 2, 200, 100); }, {"l.txt:1", "outside"});
}

TEST(YoloLabels, RefusesBadLinesNamingFileAndLine) {
  const auto bad = [](const char* text) { return [text] { parse_yolo_labels(text, "b.txt", 3, 64, 48); }; };
  expect_error(bad("0 .5 .5 .1 .1\n3 .5 .5 .1 .1\n"), {"b.txt:2", "class id 3 is out of range", "3 classes (0..2)"});
  expect_error(bad("-1 .5 .5 .1 .1"), {"b.txt:1", "out of range"});
  expect_error(bad("0.0 .5 .5 .1 .1"), {"b.txt:1", "class id '0.0' is not an integer"});
  expect_error(bad("0 .5 abc .1 .1"), {"b.txt:1", "cy 'abc' is not a finite number"});
  expect_error(bad("0 nan .5 .1 .1"), {"b.txt:1", "cx 'nan'"});
  expect_error(bad("0 .5 .5 inf .1"), {"b.txt:1", "w 'inf'"});
  expect_error(bad("0 .5 .5 1e999 .1"), {"b.txt:1", "w '1e999'"});
  expect_error(bad("0 .5 .5 0 .1"), {"b.txt:1", "expected both > 0"});
  expect_error(bad("0 .5 .5 .1 -.1"), {"b.txt:1", "expected both > 0"});
  expect_error(bad("0 .5 .5 .1"), {"b.txt:1", "expected 5 fields", "found 4"});
  expect_error(bad("0 .5 .5 .1 .1 .3 .3"), {"b.txt:1", "found 7"});  // a segmentation polygon, not a box
  expect_error(bad("0 .5 .5 1e-12 .1"), {"b.txt:1", "representable"});
  expect_error([] { parse_yolo_labels("0 .5 .5 .1 .1", "b.txt", 0, 64, 48); }, {"b.txt", "no classes"});
}

TEST(YoloLabels, AMissingFileMeansNoObjects) {
  test::TempDir tmp;
  EXPECT_TRUE(read_yolo_labels(tmp / "none.txt", 80, 640, 480).empty());
  test::write_bytes(tmp / "one.txt", "5 0.5 0.5 1 1\n");
  const auto boxes = read_yolo_labels(tmp / "one.txt", 80, 640, 480);
  ASSERT_EQ(boxes.size(), 1u);
  expect_box(boxes[0], {0, 0, 640, 480}, 5);
  test::write_bytes(tmp / "bad.txt", "80 0.5 0.5 1 1\n");
  expect_error([&] { read_yolo_labels(tmp / "bad.txt", 80, 640, 480); }, {"bad.txt:1", "0..79"});
}

const std::vector<std::string> kVocNames = {"raccoon", "dog"};

std::string voc(const std::string& objects, const std::string& size =
                                                "<size><width>650</width><height>417</height>"
                                                "<depth>3</depth></size>") {
  return "<annotation verified=\"yes\">\n<filename>r.jpg</filename>\n" + size + "\n" + objects + "</annotation>\n";
}
std::string object(const std::string& name, const std::string& box, const std::string& extra = "") {
  return "<object>\n<name>" + name + "</name>\n" + extra + "<bndbox>" + box + "</bndbox>\n</object>\n";
}
std::string bndbox(const std::string& xmin, const std::string& ymin, const std::string& xmax, const std::string& ymax) {
  return "<xmin>" + xmin + "</xmin><ymin>" + ymin + "</ymin><xmax>" + xmax + "</xmax><ymax>" + ymax + "</ymax>";
}

TEST(VocXml, OneBasedInclusivePixelsBecomeContinuousCorners) {
  // raccoon-1.xml's box: xmin 81 ymin 88 xmax 522 ymax 408 covers columns 81..522 (1-based) = 80..521 (0-based):
  // x1 = 80, x2 = 522, y1 = 87, y2 = 408. A box over the whole image: 1..650 x 1..417 -> 0..650 x 0..417.
  const auto a = parse_voc_xml(voc(object("raccoon", bndbox("81", "88", "522", "408"), "<difficult>0</difficult>") +
                                   object(" dog ", bndbox("1", "1", "650", "417"), "<difficult>1</difficult>") +
                                   object("raccoon", bndbox("10.5", "20", "10.5", "20"))),
                               "a.xml", kVocNames);
  EXPECT_EQ(a.filename, "r.jpg");
  EXPECT_EQ(a.width, 650);
  EXPECT_EQ(a.height, 417);
  ASSERT_EQ(a.objects.size(), 3u);
  expect_box(a.objects[0], {80, 87, 522, 408}, 0);
  expect_box(a.objects[1], {0, 0, 650, 417}, 1, /*difficult=*/true);
  expect_box(a.objects[2], {9.5f, 19, 10.5f, 20}, 0);  // xmin = xmax: one pixel wide
  EXPECT_TRUE(parse_voc_xml(voc(""), "empty.xml", kVocNames).objects.empty());
}

TEST(VocXml, SizeMustAgreeWithTheImageWhenKnown) {
  EXPECT_EQ(parse_voc_xml(voc(""), "a.xml", kVocNames, 650, 417).width, 650);
  expect_error([] { parse_voc_xml(voc(""), "a.xml", kVocNames, 417, 650); },
               {"a.xml:3", "<size> says 650 x 417 but the image is 417 x 650"});
  // No <size>, or 0 x 0: the image's size is used, and required.
  EXPECT_EQ(parse_voc_xml(voc("", ""), "a.xml", kVocNames, 30, 20).height, 20);
  const auto zero = voc(object("dog", bndbox("1", "1", "30", "20")), "<size><width>0</width><height>0</height></size>");
  EXPECT_EQ(parse_voc_xml(zero, "a.xml", kVocNames, 30, 20).objects.size(), 1u);
  expect_error([&] { parse_voc_xml(zero, "a.xml", kVocNames); }, {"a.xml:3", "0 x 0"});
  expect_error([] { parse_voc_xml(voc("", ""), "a.xml", kVocNames); }, {"a.xml", "no <size>"});
  expect_error([] { parse_voc_xml(voc("", "<size><width>-5</width><height>3</height></size>"), "a.xml", kVocNames); },
               {"a.xml:3", "positive"});
}

TEST(VocXml, RefusesBadObjectsNamingTheElementAndLine) {
  const auto bad = [](std::string xml) { return [xml] { parse_voc_xml(xml, "v.xml", kVocNames); }; };
  // An object takes 4 lines: <object>, <name>, <bndbox>, </object>. The first is on lines 4..7 (after <annotation>,
  // <filename> and <size>); the second's <name> is on line 9, its <bndbox> on line 10.
  const auto ok = object("raccoon", bndbox("1", "1", "5", "5"));
  expect_error(bad(voc(ok + object("cat", bndbox("1", "1", "5", "5")))),
               {"v.xml:9", "object/name 'cat' is not in the names list", "2 classes"});
  expect_error(bad(voc(ok + object("dog", bndbox("1", "1", "651", "5")))), {"v.xml:10", "outside the 650 x 417 image"});
  expect_error(bad(voc(object("dog", bndbox("0", "1", "5", "5")))), {"v.xml:6", "outside", "1-based"});
  expect_error(bad(voc(object("dog", bndbox("9", "1", "5", "5")))), {"v.xml:6", "expected xmax >= xmin"});
  expect_error(bad(voc(object("dog", bndbox("1", "1", "5", "five")))), {"v.xml:6", "bndbox/ymax", "'five'"});
  expect_error(bad(voc(object("dog", bndbox("1", "1", "5", "nan")))), {"v.xml:6", "not a finite number"});
  expect_error(bad(voc(object("dog", "<xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>"))), {"v.xml:6", "no <ymax>"});
  expect_error(bad(voc("<object><name>dog</name></object>\n")), {"v.xml:4", "no <bndbox>"});
  expect_error(bad(voc("<object><bndbox/></object>\n")), {"v.xml:4", "no <name>"});
  expect_error(bad(voc(object("dog", bndbox("1", "1", "5", "5"), "<difficult>2</difficult>"))),
               {"v.xml:6", "expected 0 or 1"});
  expect_error(bad(voc(object("dog", bndbox("1", "1", "5", "5") + "</bndbox><bndbox>"))), {"more than one"});
  expect_error(bad("<annotation><object>\n<name>dog</nam></object></annotation>"), {"v.xml:2", "not well-formed"});
  expect_error(bad("<voc/>"), {"v.xml", "no <annotation>"});
  expect_error(bad(""), {"v.xml"});
}

}  // namespace
}  // namespace tint::data
