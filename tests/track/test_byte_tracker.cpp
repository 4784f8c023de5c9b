// ByteTrack on synthetic sequences of boxes moving at constant velocity, with known identities: crossing paths, a
// box missed for 10 frames, a box whose score drops (the second association stage), classes, and noise. Each
// sequence is scored with tint's own MOTA and IDF1 against its truth.
#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "tint/core/error.h"
#include "tint/track/byte_tracker.h"
#include "tint/track/mot_metrics.h"

namespace tint::track {
namespace {

// A box moving at constant velocity; (x, y) its top-left corner in frame 1.
struct Mover {
  int id;
  float x, y, w, h, vx, vy;
  int class_id = 0;

  data::Box box(int frame) const {
    const float t = static_cast<float>(frame - 1);
    return {x + vx * t, y + vy * t, x + vx * t + w, y + vy * t + h};
  }
};

using DetectionsOf = std::function<std::vector<data::Detection>(int frame)>;

// Runs `tracker` over frames 1..frames; its output as MOTChallenge rows.
std::vector<MotRow> run(ByteTracker& tracker, int frames, const DetectionsOf& detections) {
  std::vector<MotRow> out;
  for (int f = 1; f <= frames; ++f) {
    const auto rows = to_mot_rows(f, tracker.update(detections(f)));
    EXPECT_EQ(tracker.frame(), f);
    out.insert(out.end(), rows.begin(), rows.end());
  }
  return out;
}

std::vector<MotRow> truth_of(const std::vector<Mover>& movers, int frames) {
  std::vector<MotRow> truth;
  for (int f = 1; f <= frames; ++f)
    for (const Mover& m : movers) {
      MotRow r;
      r.frame = f;
      r.id = m.id;
      r.box = m.box(f);
      truth.push_back(r);
    }
  return truth;
}

// Every mover detected exactly in every frame, at `score`.
DetectionsOf exact(const std::vector<Mover>& movers, float score = 0.9f) {
  return [=](int f) {
    std::vector<data::Detection> d;
    for (const Mover& m : movers) d.push_back({m.box(f), m.class_id, score});
    return d;
  };
}

// The ids the tracker gave in `frame`.
std::set<int> ids_in(const std::vector<MotRow>& rows, int frame) {
  std::set<int> ids;
  for (const MotRow& r : rows)
    if (r.frame == frame) ids.insert(r.id);
  return ids;
}

// The id of the output box that overlaps `box` most in `frame`; 0 when none overlaps.
int id_at(const std::vector<MotRow>& rows, int frame, const data::Box& box) {
  int best = 0;
  float best_iou = 0;
  for (const MotRow& r : rows)
    if (r.frame == frame && data::iou(r.box, box) > best_iou) {
      best_iou = data::iou(r.box, box);
      best = r.id;
    }
  return best;
}

TEST(ByteTracker, CleanSequenceScoresMotaAndIdf1OfOne) {
  const std::vector<Mover> movers = {{1, 10, 10, 30, 60, 3, 0},
                                     {2, 400, 20, 50, 100, -2, 1},
                                     {3, 100, 300, 20, 20, 1, -1},
                                     {4, 300, 250, 80, 40, 0, 0}};
  ByteTracker tracker;
  const std::vector<MotRow> out = run(tracker, 60, exact(movers));
  EXPECT_EQ(ids_in(out, 1), (std::set<int>{1, 2, 3, 4})) << "confirmed at once in frame 1, ids from 1";
  const TrackingScores s = evaluate_tracking(truth_of(movers, 60), out);
  EXPECT_DOUBLE_EQ(s.clear.mota(), 1.0) << format_tracking_scores(s);
  EXPECT_DOUBLE_EQ(s.identity.idf1(), 1.0) << format_tracking_scores(s);
  EXPECT_GT(s.clear.motp(), 0.95) << "the Kalman boxes follow the detections";
}

// A moves right, B left, 10 px lower; in frame 31 they overlap by IoU 2800 / 3600 = 0.78. The Kalman predictions
// carry each past the other.
TEST(ByteTracker, TwoBoxesCrossingPathsKeepTheirIds) {
  const Mover a{1, 0, 100, 40, 80, 5, 0}, b{2, 300, 110, 40, 80, -5, 0};
  ASSERT_NEAR(data::iou(a.box(31), b.box(31)), 2800.0 / 3600, 1e-6);
  ByteTracker tracker;
  const std::vector<MotRow> out = run(tracker, 61, exact({a, b}));
  const int id_a = id_at(out, 1, a.box(1)), id_b = id_at(out, 1, b.box(1));
  ASSERT_NE(id_a, id_b);
  for (int f = 1; f <= 61; ++f) {
    ASSERT_EQ(id_at(out, f, a.box(f)), id_a) << "frame " << f;
    ASSERT_EQ(id_at(out, f, b.box(f)), id_b) << "frame " << f;
  }
  const TrackingScores s = evaluate_tracking(truth_of({a, b}, 61), out);
  EXPECT_EQ(s.clear.id_switches, 0);
  EXPECT_DOUBLE_EQ(s.identity.idf1(), 1.0) << format_tracking_scores(s);
}

// Not detected in frames 21-30: the track is lost, predicted on, and re-found in frame 31 with its id (lost for 11
// frames, within the buffer of 30). With a buffer of 5 it is removed in frame 26 and the box starts a new track.
TEST(ByteTracker, ABoxMissedForTenFramesIsRefoundWithItsId) {
  const Mover m{1, 10, 50, 30, 60, 3, 1};
  const auto detections = [&](int f) { return f >= 21 && f <= 30 ? std::vector<data::Detection>{} : exact({m})(f); };
  ByteTracker tracker;
  const std::vector<MotRow> out = run(tracker, 50, detections);
  for (int f = 1; f <= 50; ++f)
    EXPECT_EQ(ids_in(out, f), (f >= 21 && f <= 30 ? std::set<int>{} : std::set<int>{1})) << "frame " << f;

  ByteTrackSettings short_buffer;
  short_buffer.track_buffer = 5;
  ByteTracker forgetful(short_buffer);
  const std::vector<MotRow> again = run(forgetful, 50, detections);
  EXPECT_TRUE(ids_in(again, 31).empty()) << "a new track is confirmed in its second frame";
  EXPECT_EQ(ids_in(again, 32), std::set<int>{2});
}

// The score drops to 0.3 in frames 21-25 (an object partly hidden). The second stage matches those low boxes to the
// track (IoU >= 0.5 with its prediction): the track is output throughout with its id. Without it the boxes are
// dropped: the object is missing for 5 frames, and with a buffer of 2 frames its identity is lost (a new id, 2,
// confirmed in frame 27).
TEST(ByteTracker, TheSecondStageKeepsABoxWhoseScoreDrops) {
  const Mover m{1, 10, 50, 30, 60, 3, 1};
  const auto detections = [&](int f) { return exact({m}, f >= 21 && f <= 25 ? 0.3f : 0.9f)(f); };
  ByteTrackSettings settings;
  settings.track_buffer = 2;
  ByteTracker byte(settings);
  const std::vector<MotRow> with = run(byte, 40, detections);
  for (int f = 1; f <= 40; ++f) ASSERT_EQ(ids_in(with, f), std::set<int>{1}) << "frame " << f;
  for (const MotRow& r : with) {
    if (r.frame == 23) {
      EXPECT_FLOAT_EQ(r.conf, 0.3f) << "the low box's score";
    }
  }

  settings.second_stage = false;
  ByteTracker sort(settings);
  const std::vector<MotRow> without = run(sort, 40, detections);
  for (int f = 21; f <= 26; ++f) EXPECT_TRUE(ids_in(without, f).empty()) << "frame " << f;
  EXPECT_EQ(ids_in(without, 27), std::set<int>{2});
  const TrackingScores s_with = evaluate_tracking(truth_of({m}, 40), with);
  const TrackingScores s_without = evaluate_tracking(truth_of({m}, 40), without);
  EXPECT_DOUBLE_EQ(s_with.clear.mota(), 1.0);
  EXPECT_LT(s_without.clear.mota(), 0.9) << format_tracking_scores(s_without);
  EXPECT_LT(s_without.identity.idf1(), 0.9) << format_tracking_scores(s_without);

  // With the default buffer the second stage's gain is the 5 frames alone: the lost track is re-found in frame 26.
  ByteTrackSettings sort_default;
  sort_default.second_stage = false;
  ByteTracker sort30(sort_default);
  const std::vector<MotRow> refound = run(sort30, 40, detections);
  EXPECT_TRUE(ids_in(refound, 23).empty());
  EXPECT_EQ(ids_in(refound, 26), std::set<int>{1});
}

// A track starts unconfirmed after frame 1: output from its second matched frame. A detection seen in one frame only
// never gets an id, so ids run 1, 2, 3 over the confirmed tracks.
TEST(ByteTracker, TracksAreConfirmedOnTheirSecondFrameAfterTheFirst) {
  const Mover first{1, 10, 10, 30, 60, 2, 0}, later{2, 200, 10, 30, 60, 0, 2}, last{3, 400, 200, 30, 30, -1, 0};
  const data::Box flash{300, 300, 340, 340};
  const auto detections = [&](int f) {
    std::vector<data::Detection> d = {{first.box(f), 0, 0.9f}};
    if (f >= 5) d.push_back({later.box(f), 0, 0.9f});
    if (f == 8) d.push_back({flash, 0, 0.95f});
    if (f >= 12) d.push_back({last.box(f), 0, 0.7f});
    // Above track_thresh but below track_thresh + 0.1: never starts a track.
    d.push_back({{600, 600, 640, 640}, 0, 0.55f});
    return d;
  };
  ByteTracker tracker;
  const std::vector<MotRow> out = run(tracker, 20, detections);
  EXPECT_EQ(ids_in(out, 1), std::set<int>{1});
  EXPECT_EQ(ids_in(out, 5), std::set<int>{1});
  EXPECT_EQ(ids_in(out, 6), (std::set<int>{1, 2}));
  EXPECT_EQ(ids_in(out, 8), (std::set<int>{1, 2}));
  EXPECT_EQ(ids_in(out, 12), (std::set<int>{1, 2}));
  EXPECT_EQ(ids_in(out, 13), (std::set<int>{1, 2, 3}));
  EXPECT_EQ(ids_in(out, 20), (std::set<int>{1, 2, 3}));
}

// The detection's class changes in frame 11 (one object, same box path). Class-agnostic, the track goes on and takes
// the new class; per class, the class-1 box may not match the class-0 track: a new track, id 2.
TEST(ByteTracker, PerClassMatchingKeepsClassesApart) {
  const Mover m{1, 10, 50, 30, 60, 3, 1};
  const auto detections = [&](int f) { return std::vector<data::Detection>{{m.box(f), f <= 10 ? 0 : 1, 0.9f}}; };
  ByteTrackSettings agnostic;
  agnostic.per_class = false;
  ByteTracker one(agnostic);
  std::vector<TrackedObject> objects;
  for (int f = 1; f <= 20; ++f) objects = one.update(detections(f));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].id, 1);
  EXPECT_EQ(objects[0].class_id, 1);

  ByteTracker per_class;  // the default
  const std::vector<MotRow> out = run(per_class, 20, detections);
  EXPECT_EQ(ids_in(out, 10), std::set<int>{1});
  EXPECT_TRUE(ids_in(out, 11).empty());
  EXPECT_EQ(ids_in(out, 12), std::set<int>{2});
  EXPECT_EQ(ids_in(out, 20), std::set<int>{2});

  // A person (class 0) walking across a parked car (class 1), per class: neither takes the other's id.
  const Mover car{1, 200, 100, 120, 80, 0, 0, 1}, person{2, 100, 90, 40, 100, 4, 0, 0};
  ByteTracker tracker;
  const std::vector<MotRow> crossing = run(tracker, 60, exact({car, person}));
  const TrackingScores s = evaluate_tracking(truth_of({car, person}, 60), crossing);
  EXPECT_EQ(s.clear.id_switches, 0) << format_tracking_scores(s);
  EXPECT_DOUBLE_EQ(s.identity.idf1(), 1.0) << format_tracking_scores(s);
}

double uniform(std::mt19937& rng, double low, double high) { return low + (high - low) * (rng() / 4294967296.0); }

// Six objects in lanes, 150 frames; each detection's edges jitter by up to 3 px, 5% of detections are missed, scores
// are uniform in [0.5, 1) (some between track_thresh and the new-track threshold), and a false positive (score in
// [0.1, 0.8)) appears at a random place in a fifth of the frames. Bounds, with margin over what this seed gives
// (MOTA 0.95, IDF1 0.98 at the time of writing): MOTA >= 0.9, IDF1 >= 0.9, at most 2 id switches.
TEST(ByteTracker, NoisyDetectionsScoreWithinBounds) {
  std::vector<Mover> movers;
  for (int k = 0; k < 6; ++k)
    movers.push_back({k + 1, 20.0f + 60 * k, 30.0f + 90 * k, 30.0f + 5 * k, 60, 1.5f + 0.3f * k, k % 2 ? 0.5f : -0.2f});
  std::mt19937 rng(2022);
  const auto detections = [&](int f) {
    std::vector<data::Detection> d;
    for (const Mover& m : movers) {
      if (uniform(rng, 0, 1) < 0.05) continue;
      data::Box b = m.box(f);
      b.x1 += static_cast<float>(uniform(rng, -3, 3));
      b.y1 += static_cast<float>(uniform(rng, -3, 3));
      b.x2 += static_cast<float>(uniform(rng, -3, 3));
      b.y2 += static_cast<float>(uniform(rng, -3, 3));
      d.push_back({b, 0, static_cast<float>(uniform(rng, 0.5, 1.0))});
    }
    if (uniform(rng, 0, 1) < 0.2) {
      const auto x = static_cast<float>(uniform(rng, 0, 800)), y = static_cast<float>(uniform(rng, 0, 800));
      d.push_back({{x, y, x + 40, y + 40}, 0, static_cast<float>(uniform(rng, 0.1, 0.8))});
    }
    return d;
  };
  ByteTracker tracker;
  const std::vector<MotRow> out = run(tracker, 150, detections);
  const TrackingScores s = evaluate_tracking(truth_of(movers, 150), out);
  std::cout << "[ noisy    ] " << format_tracking_scores(s) << "\n";
  EXPECT_GE(s.clear.mota(), 0.9) << format_tracking_scores(s);
  EXPECT_GE(s.identity.idf1(), 0.9) << format_tracking_scores(s);
  EXPECT_LE(s.clear.id_switches, 2) << format_tracking_scores(s);
}

TEST(ByteTracker, SettingsAreCheckedAndTheBufferScalesWithTheFrameRate) {
  ByteTrackSettings s;
  s.frame_rate = 60;
  EXPECT_EQ(ByteTracker(s).max_time_lost(), 60);
  s.frame_rate = 25;
  EXPECT_EQ(ByteTracker(s).max_time_lost(), 25);
  ByteTrackSettings bad;
  bad.track_thresh = 1.5f;
  EXPECT_THROW(ByteTracker{bad}, Error);
  bad = {};
  bad.low_thresh = 0.6f;
  EXPECT_THROW(ByteTracker{bad}, Error);
  bad = {};
  bad.frame_rate = 0;
  EXPECT_THROW(ByteTracker{bad}, Error);
  bad = {};
  bad.track_buffer = -1;
  EXPECT_THROW(ByteTracker{bad}, Error);
  // A box of no height is dropped, not an error.
  ByteTracker tracker;
  EXPECT_TRUE(tracker.update({{{10, 10, 20, 10}, 0, 0.9f}}).empty());
}

}  // namespace
}  // namespace tint::track
