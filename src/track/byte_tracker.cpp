#include "tint/track/byte_tracker.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "tint/core/error.h"

namespace tint::track {
namespace {

void check_fraction(float value, const char* name) {
  if (!(value >= 0 && value <= 1))
    throw Error(std::string("ByteTrack: ") + name + " must be in [0, 1], not " + std::to_string(value));
}

bool trackable(const data::Detection& d) { return d.box.x2 > d.box.x1 && d.box.y2 > d.box.y1; }

}  // namespace

void validate(const ByteTrackSettings& s) {
  check_fraction(s.track_thresh, "track_thresh");
  check_fraction(s.low_thresh, "low_thresh");
  check_fraction(s.new_track_margin, "new_track_margin");
  check_fraction(s.match_thresh, "match_thresh");
  check_fraction(s.second_match_thresh, "second_match_thresh");
  check_fraction(s.unconfirmed_match_thresh, "unconfirmed_match_thresh");
  check_fraction(s.duplicate_thresh, "duplicate_thresh");
  if (s.low_thresh > s.track_thresh)
    throw Error("ByteTrack: low_thresh (" + std::to_string(s.low_thresh) + ") is above track_thresh (" +
                std::to_string(s.track_thresh) + ")");
  if (s.track_buffer < 0) throw Error("ByteTrack: track_buffer must be >= 0, not " + std::to_string(s.track_buffer));
  if (!(s.frame_rate > 0 && std::isfinite(s.frame_rate)))
    throw Error("ByteTrack: frame_rate must be positive, not " + std::to_string(s.frame_rate));
}

ByteTracker::ByteTracker(ByteTrackSettings settings) : settings_(settings) {
  validate(settings_);
  // BYTETracker.__init__: buffer_size = int(frame_rate / 30.0 * track_buffer).
  max_time_lost_ = static_cast<int>(settings_.frame_rate / 30.0 * settings_.track_buffer);
}

// STrack.activate: a new tracklet from a detection, its Kalman state initiated from the box. Only on the first frame
// is it confirmed at once (there is no earlier frame it could have been missed in); later it must be matched again
// in the next frame. Ids are given on confirmation (ByteTrack gives them here, so that its ids skip the tracklets
// that never get confirmed; tint's run 1, 2, 3 over the confirmed ones).
void ByteTracker::activate(Track& track, const data::Detection& d) {
  track.kalman = kalman_.initiate(to_measurement(d.box));
  track.state = State::tracked;
  track.activated = frame_ == 1;
  track.id = track.activated ? next_id_++ : 0;
  track.class_id = d.class_id;
  track.score = d.score;
  track.start_frame = track.last_frame = frame_;
}

// STrack.update and STrack.re_activate (a lost track found again): the Kalman correction by the detection's box; the
// track is tracked and confirmed, and takes the detection's score and class.
void ByteTracker::update_track(Track& track, const data::Detection& d) {
  track.kalman = kalman_.update(track.kalman, to_measurement(d.box));
  track.state = State::tracked;
  if (!track.activated) {
    track.activated = true;
    track.id = next_id_++;
  }
  track.class_id = d.class_id;
  track.score = d.score;
  track.last_frame = frame_;
}

// matching.iou_distance (1 - IoU of the track's predicted box and the detection), with matching.fuse_score's
// 1 - IoU x score when `fuse`; a pair of different classes is forbidden when tracking per class.
CostMatrix ByteTracker::costs(const std::vector<Track*>& tracks, const std::vector<const data::Detection*>& detections,
                              bool fuse) const {
  CostMatrix cost(static_cast<int>(tracks.size()), static_cast<int>(detections.size()));
  for (int r = 0; r < cost.rows(); ++r) {
    const data::Box predicted = tracks[r]->kalman.box();
    for (int c = 0; c < cost.cols(); ++c) {
      const data::Detection& d = *detections[c];
      if (settings_.per_class && d.class_id != tracks[r]->class_id) {
        cost(r, c) = kForbidden;
        continue;
      }
      const double overlap = data::iou(predicted, d.box);
      cost(r, c) = 1.0 - (fuse ? overlap * d.score : overlap);
    }
  }
  return cost;
}

// remove_duplicate_stracks: a tracked and a lost track on the same spot (1 - IoU < duplicate_thresh) are one object
// followed twice; the one followed for fewer frames goes (the tracked one when as old).
void ByteTracker::remove_duplicates() {
  std::set<const Track*> duplicates;
  for (const Track& a : tracks_) {
    if (a.state != State::tracked) continue;
    for (const Track& b : tracks_) {
      // Tracking per class, tracks of two classes are two objects (else a detection whose class changed would start
      // a track on its lost old one's spot, and be dropped as its duplicate, frame after frame).
      if (b.state != State::lost || (settings_.per_class && a.class_id != b.class_id)) continue;
      if (1.0 - data::iou(a.kalman.box(), b.kalman.box()) >= settings_.duplicate_thresh) continue;
      const int age_a = a.last_frame - a.start_frame, age_b = b.last_frame - b.start_frame;
      duplicates.insert(age_a > age_b ? &b : &a);
    }
  }
  if (duplicates.empty()) return;
  std::vector<Track> kept;
  for (const Track& t : tracks_)
    if (duplicates.count(&t) == 0) kept.push_back(t);
  tracks_ = std::move(kept);
}

std::vector<TrackedObject> ByteTracker::update(const std::vector<data::Detection>& detections) {
  ++frame_;
  // Step 1: the detections split by score (remain_inds: high; inds_second: low). Below low_thresh they are dropped
  // as background, and without the second stage the low ones too. A box of no width or height cannot be a
  // measurement of (a, h) and is dropped.
  std::vector<const data::Detection*> high, low;
  for (const data::Detection& d : detections) {
    if (!trackable(d)) continue;
    if (d.score >= settings_.track_thresh)
      high.push_back(&d);
    else if (settings_.second_stage && d.score >= settings_.low_thresh)
      low.push_back(&d);
  }

  // Tracks seen in one frame only (unconfirmed) apart from strack_pool: the confirmed tracked ones and the lost ones.
  std::vector<Track*> unconfirmed, pool;
  for (Track& t : tracks_) (t.state == State::tracked && !t.activated ? unconfirmed : pool).push_back(&t);

  // Step 2: first association, high-score boxes with every track of the pool at its Kalman prediction
  // (STrack.multi_predict; a lost track's height velocity is zeroed, mean_state[7] = 0, so that its box does not
  // shrink or grow unseen).
  for (Track* t : pool) {
    KalmanState s = t->kalman;
    if (t->state != State::tracked) s.mean[7] = 0;
    t->kalman = kalman_.predict(s);
  }
  const Matching first = gated_assignment(costs(pool, high, settings_.fuse_score), settings_.match_thresh);
  for (const auto& [r, c] : first.pairs) update_track(*pool[r], *high[c]);  // update, or re_activate if lost

  // Step 3: second association, low-score boxes with the tracks of the pool still unmatched that were tracked in the
  // previous frame (r_tracked_stracks; a lost track is not re-found by a weak box), at IoU >= 0.5. A box that
  // scores low because the object is half hidden keeps the object's track; a track matched by neither is lost.
  std::vector<Track*> remaining;
  for (int r : first.unmatched_rows)
    if (pool[r]->state == State::tracked) remaining.push_back(pool[r]);
  const Matching second = gated_assignment(costs(remaining, low, false), settings_.second_match_thresh);
  for (const auto& [r, c] : second.pairs) update_track(*remaining[r], *low[c]);
  for (int r : second.unmatched_rows) remaining[r]->state = State::lost;  // mark_lost

  // Unconfirmed tracks (started in the previous frame) with the high boxes left over, at IoU >= 0.3: matched, they
  // are confirmed; unmatched, they were probably a false detection and are removed.
  std::vector<const data::Detection*> rest;
  for (int c : first.unmatched_cols) rest.push_back(high[c]);
  const Matching third =
      gated_assignment(costs(unconfirmed, rest, settings_.fuse_score), settings_.unconfirmed_match_thresh);
  for (const auto& [r, c] : third.pairs) update_track(*unconfirmed[r], *rest[c]);
  for (int r : third.unmatched_rows) unconfirmed[r]->state = State::removed;

  // Step 4: new tracks from the high boxes still unmatched that reach det_thresh = track_thresh + 0.1.
  std::vector<Track> born;
  for (int c : third.unmatched_cols) {
    if (rest[c]->score < settings_.track_thresh + settings_.new_track_margin) continue;
    born.emplace_back();
    activate(born.back(), *rest[c]);
  }

  // Step 5: a track lost for longer than max_time_lost frames is removed; then the lists are joined
  // (tracked_stracks, lost_stracks) and duplicates removed.
  for (Track& t : tracks_)
    if (t.state == State::lost && frame_ - t.last_frame > max_time_lost_) t.state = State::removed;
  tracks_.erase(
      std::remove_if(tracks_.begin(), tracks_.end(), [](const Track& t) { return t.state == State::removed; }),
      tracks_.end());
  tracks_.insert(tracks_.end(), born.begin(), born.end());
  remove_duplicates();

  // output_stracks: the tracked, confirmed tracks (each was matched in this frame).
  std::vector<TrackedObject> out;
  for (const Track& t : tracks_)
    if (t.state == State::tracked && t.activated) out.push_back({t.id, t.kalman.box(), t.class_id, t.score});
  std::sort(out.begin(), out.end(), [](const TrackedObject& a, const TrackedObject& b) { return a.id < b.id; });
  return out;
}

}  // namespace tint::track
