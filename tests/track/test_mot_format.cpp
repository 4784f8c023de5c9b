// MOTChallenge's text format: ground truth and results read, results written, bad lines refused with their place.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_support.h"
#include "tint/core/atomic_file.h"
#include "tint/core/error.h"
#include "tint/track/mot_format.h"

namespace tint::track {
namespace {

TEST(MotFormat, ReadsGroundTruthAndResults) {
  std::istringstream in(
      "1,1,10,20,30,40,1,1,0.5\n"
      "\n"
      "2, 3, 1.5, 2.5, 10, 20, 0.9, -1, -1, -1\r\n"
      "3,4,0,0,5,5\n");
  const std::vector<MotRow> rows = parse_mot(in, "seq");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].frame, 1);
  EXPECT_EQ(rows[0].id, 1);
  EXPECT_FLOAT_EQ(rows[0].box.x1, 10);
  EXPECT_FLOAT_EQ(rows[0].box.y1, 20);
  EXPECT_FLOAT_EQ(rows[0].box.x2, 40);
  EXPECT_FLOAT_EQ(rows[0].box.y2, 60);
  EXPECT_EQ(rows[0].class_id, 1);
  EXPECT_FLOAT_EQ(rows[0].visibility, 0.5f);
  EXPECT_EQ(rows[1].frame, 2);
  EXPECT_EQ(rows[1].id, 3);
  EXPECT_FLOAT_EQ(rows[1].box.x2, 11.5f);
  EXPECT_FLOAT_EQ(rows[1].conf, 0.9f);
  EXPECT_EQ(rows[1].class_id, -1);  // 10 columns: x, y, z, not a class
  EXPECT_FLOAT_EQ(rows[2].conf, 1.0f);
}

TEST(MotFormat, WritesResultsThatReadBack) {
  TrackedObject a{7, {10, 20, 40, 60}, 2, 0.9f};
  TrackedObject b{8, {1.25f, 2, 3.5f, 4}, 0, 0.55f};
  const std::vector<MotRow> rows = to_mot_rows(3, {a, b});
  std::ostringstream out;
  write_mot(out, rows);
  EXPECT_EQ(out.str(),
            "3,7,10.00,20.00,30.00,40.00,0.90,-1,-1,-1\n"
            "3,8,1.25,2.00,2.25,2.00,0.55,-1,-1,-1\n");
  test::TempDir dir;
  write_mot(dir / "results.txt", rows);
  const std::vector<MotRow> back = read_mot(dir / "results.txt");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].frame, 3);
  EXPECT_EQ(back[1].id, 8);
  EXPECT_FLOAT_EQ(back[1].box.x2, 3.5f);
  EXPECT_FLOAT_EQ(back[1].conf, 0.55f);
}

void expect_refused(const std::string& text, const std::string& message) {
  std::istringstream in(text);
  try {
    parse_mot(in, "gt.txt");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(MotFormat, RefusesBadLinesNamingThem) {
  expect_refused("1,1,0,0,5,5\n1,2,3\n", "gt.txt:2: 3 fields");
  expect_refused("1,x,0,0,5,5\n", "gt.txt:1: 'x' is not a number");
  expect_refused("0,1,0,0,5,5\n", "frames are counted from 1");
  expect_refused("1.5,1,0,0,5,5\n", "the frame must be a whole number");
  expect_refused("1,1,0,0,-5,5\n", "negative width or height");
  expect_refused("1,1,0,,5,5\n", "'' is not a number");
  EXPECT_THROW(read_mot("/nonexistent/gt.txt"), Error);
}

}  // namespace
}  // namespace tint::track
