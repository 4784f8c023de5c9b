// The progress bar's text: the bar, the count, the rate and the time left, worked by hand.
#include <gtest/gtest.h>

#include "tint/report/progress.h"

namespace tint::report {
namespace {

TEST(Progress, BarCountRateAndTimeLeft) {
  // 50 of 200 frames at 10 frames/s: 150 left take 15 s; 30 * 50 / 200 = 7.5 -> 7 marks filled.
  EXPECT_EQ(format_progress("colourizing", 50, 200, "frames", 10.0),
            "colourizing [#######.......................] 50/200 frames 10.0/s ETA 0:15");
  // 1 of 400 at 0.5/s: 399 / 0.5 = 798 s = 13:18.
  EXPECT_EQ(format_progress("x", 1, 400, "", 0.5), "x [..............................] 1/400 0.5/s ETA 13:18");
  // A fraction of a second left rounds up: 1 left at 3/s is 0.33 s -> 0:01.
  EXPECT_EQ(format_progress("x", 2, 3, "", 3.0), "x [####################..........] 2/3 3.0/s ETA 0:01");
}

TEST(Progress, NoRateYetNoTimeLeftAndTheEnd) {
  EXPECT_EQ(format_progress("x", 3, 10, "", 0.0), "x [#########.....................] 3/10");
  EXPECT_EQ(format_progress("x", 10, 10, "", 4.0), "x [##############################] 10/10 4.0/s");
}

TEST(Progress, UnknownTotalShowsTheCountAndRate) {
  // A video whose container declares no frame count.
  EXPECT_EQ(format_progress("colourizing", 42, 0, "frames", 12.25), "colourizing 42 frames 12.2/s");
  EXPECT_EQ(format_progress("colourizing", 42, 0, "frames", 0.0), "colourizing 42 frames");
}

}  // namespace
}  // namespace tint::report
