// CLEAR MOT and the identity scores on sequences small enough to score by hand; the hand work is in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "tint/core/error.h"
#include "tint/track/mot_metrics.h"

namespace tint::track {
namespace {

MotRow row(int frame, int id, data::Box box) {
  MotRow r;
  r.frame = frame;
  r.id = id;
  r.box = box;
  return r;
}

const data::Box kA{0, 0, 10, 10};
const data::Box kB{100, 0, 110, 10};
const data::Box kFar{50, 50, 60, 60};

// Frame 1: truth A with hypothesis 1 on it, and hypothesis 2 on nothing (a false positive).
// Frame 2: truths A and B, hypothesis 1 on A, none on B (a miss).
// GT = 3, matches 2, FP 1, FN 1, IDSW 0: MOTA = 1 - (1 + 1 + 0) / 3 = 1/3; MOTP = 1 (exact boxes).
TEST(ClearMot, CountsAFalsePositiveAndAMiss) {
  const std::vector<MotRow> truth = {row(1, 1, kA), row(2, 1, kA), row(2, 2, kB)};
  const std::vector<MotRow> hyp = {row(1, 1, kA), row(1, 2, kFar), row(2, 1, kA)};
  const ClearMot m = clear_mot(truth, hyp);
  EXPECT_EQ(m.truths, 3);
  EXPECT_EQ(m.matches, 2);
  EXPECT_EQ(m.false_positives, 1);
  EXPECT_EQ(m.misses, 1);
  EXPECT_EQ(m.id_switches, 0);
  EXPECT_DOUBLE_EQ(m.mota(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.motp(), 1.0);
}

// Truth A in frames 1..5; hypothesis 1 covers it in frames 1-2, hypothesis 2 in frames 3-5. One switch, at frame 3:
// frames 4 and 5 keep the correspondence A-2. MOTA = 1 - 1/5 = 0.8.
// Identity: A-1 share 2 frames, A-2 3; the matching takes A-2: IDTP 3, IDFN 5 - 3 = 2, IDFP 5 - 3 = 2,
// IDF1 = 6 / (6 + 2 + 2) = 0.6, IDP = IDR = 3/5.
TEST(ClearMot, AnIdSwitchIsCountedOnce) {
  std::vector<MotRow> truth, hyp;
  for (int f = 1; f <= 5; ++f) {
    truth.push_back(row(f, 1, kA));
    hyp.push_back(row(f, f <= 2 ? 1 : 2, kA));
  }
  const TrackingScores s = evaluate_tracking(truth, hyp);
  EXPECT_EQ(s.clear.id_switches, 1);
  EXPECT_EQ(s.clear.matches, 5);
  EXPECT_DOUBLE_EQ(s.clear.mota(), 0.8);
  EXPECT_EQ(s.identity.idtp, 3);
  EXPECT_EQ(s.identity.idfn, 2);
  EXPECT_EQ(s.identity.idfp, 2);
  EXPECT_DOUBLE_EQ(s.identity.idf1(), 0.6);
  EXPECT_DOUBLE_EQ(s.identity.idp(), 0.6);
  EXPECT_DOUBLE_EQ(s.identity.idr(), 0.6);
}

// Truth A = (0,0)-(10,10). Hypothesis 1 sits 2 px to the right: IoU = 80 / 120 = 2/3.
// Frame 1: A-1 matched. Frame 2: hypothesis 2 appears exactly on A (IoU 1), but A's correspondence with 1 is still
//   valid (2/3 >= 0.5) and is kept: no switch, and 2 is a false positive. (Matching each frame afresh would take
//   A-2 and count a switch and 1 as the false positive: MOTA 0 for these two frames instead of 0.5.)
// Frame 3: hypothesis 1 moves 4 px off (IoU 60 / 140 = 3/7 < 0.5): the correspondence is no longer valid, A is
//   matched to 2, a switch; 1 is a false positive.
// GT 3, matches 3, FP 2, FN 0, IDSW 1: MOTA = 1 - 3/3 = 0; MOTP = (2/3 + 2/3 + 1) / 3 = 7/9.
TEST(ClearMot, KeepsACorrespondenceDespiteACloserBox) {
  const data::Box off2{2, 0, 12, 10}, off4{4, 0, 14, 10};
  const std::vector<MotRow> truth = {row(1, 1, kA), row(2, 1, kA), row(3, 1, kA)};
  const std::vector<MotRow> two_frames = {row(1, 1, off2), row(2, 1, off2), row(2, 2, kA)};
  const ClearMot first = clear_mot({truth[0], truth[1]}, two_frames);
  EXPECT_EQ(first.id_switches, 0);
  EXPECT_EQ(first.false_positives, 1);
  EXPECT_DOUBLE_EQ(first.mota(), 0.5);
  EXPECT_NEAR(first.motp(), 2.0 / 3, 1e-6);

  std::vector<MotRow> three_frames = two_frames;
  three_frames.push_back(row(3, 1, off4));
  three_frames.push_back(row(3, 2, kA));
  const ClearMot m = clear_mot(truth, three_frames);
  EXPECT_EQ(m.matches, 3);
  EXPECT_EQ(m.false_positives, 2);
  EXPECT_EQ(m.misses, 0);
  EXPECT_EQ(m.id_switches, 1);
  EXPECT_DOUBLE_EQ(m.mota(), 0.0);
  EXPECT_NEAR(m.motp(), 7.0 / 9, 1e-6);
}

// Truth A in frames 1..5, truth B in frames 4-5 (apart from A). Hypothesis x covers A in frames 1-3 and then jumps
// to B in frames 4-5; hypothesis y covers A in frames 4-5.
// Frames shared within IoU 0.5: A-x 3, A-y 2, B-x 2, B-y 0.
// Taking the pair with the most frames first (A-x, 3) leaves B-y (0): IDTP 3. The global matching takes A-y and
// B-x: IDTP 2 + 2 = 4. Truth boxes 7, hypothesis boxes 7: IDFN = IDFP = 3, IDF1 = 8 / (8 + 3 + 3) = 4/7
// (greedy would give 6 / 14 = 3/7), IDP = IDR = 4/7.
// CLEAR: A-x in frames 1-3; in frame 4 x has left A (IoU 0), so A is matched to y (a switch) and B to x (B's first
// match, no switch); frame 5 keeps both. IDSW 1, FP 0, FN 0: MOTA = 1 - 1/7 = 6/7.
TEST(IdentityScores, GlobalMatchingBeatsTheGreedyOne) {
  const int x = 10, y = 20;
  std::vector<MotRow> truth, hyp;
  for (int f = 1; f <= 5; ++f) truth.push_back(row(f, 1, kA));
  truth.push_back(row(4, 2, kB));
  truth.push_back(row(5, 2, kB));
  for (int f = 1; f <= 3; ++f) hyp.push_back(row(f, x, kA));
  for (int f = 4; f <= 5; ++f) {
    hyp.push_back(row(f, x, kB));
    hyp.push_back(row(f, y, kA));
  }
  const TrackingScores s = evaluate_tracking(truth, hyp);
  EXPECT_EQ(s.identity.idtp, 4);
  EXPECT_EQ(s.identity.idfn, 3);
  EXPECT_EQ(s.identity.idfp, 3);
  EXPECT_DOUBLE_EQ(s.identity.idf1(), 4.0 / 7);
  EXPECT_DOUBLE_EQ(s.identity.idp(), 4.0 / 7);
  EXPECT_DOUBLE_EQ(s.identity.idr(), 4.0 / 7);
  EXPECT_EQ(s.clear.id_switches, 1);
  EXPECT_EQ(s.clear.false_positives, 0);
  EXPECT_EQ(s.clear.misses, 0);
  EXPECT_DOUBLE_EQ(s.clear.mota(), 6.0 / 7);
}

TEST(TrackingScores, PerfectAndEmptyAndInvalidInput) {
  std::vector<MotRow> truth;
  for (int f = 1; f <= 4; ++f) truth.push_back(row(f, 3, kA));
  const TrackingScores perfect = evaluate_tracking(truth, truth);
  EXPECT_DOUBLE_EQ(perfect.clear.mota(), 1.0);
  EXPECT_DOUBLE_EQ(perfect.identity.idf1(), 1.0);
  EXPECT_EQ(format_tracking_scores(perfect),
            "MOTA 1.000 MOTP 1.000 IDF1 1.000 IDP 1.000 IDR 1.000 GT 4 FP 0 FN 0 IDSW 0");
  // Nothing found: every truth box a miss, MOTA 0, IDF1 0.
  const TrackingScores none = evaluate_tracking(truth, {});
  EXPECT_DOUBLE_EQ(none.clear.mota(), 0.0);
  EXPECT_DOUBLE_EQ(none.identity.idf1(), 0.0);
  EXPECT_TRUE(std::isnan(none.identity.idp()));
  EXPECT_TRUE(std::isnan(evaluate_tracking({}, truth).clear.mota()));
  // An id twice in a frame.
  std::vector<MotRow> twice = truth;
  twice.push_back(row(2, 3, kB));
  EXPECT_THROW(clear_mot(twice, truth), Error);
  EXPECT_THROW(identity_scores(truth, twice), Error);
}

}  // namespace
}  // namespace tint::track
