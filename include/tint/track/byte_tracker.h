// Multi-object tracking by ByteTrack (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection
// Box", ECCV 2022): a Kalman filter per track predicts its box in the next frame, and detections are associated to
// the predictions by IoU in two stages, first the confident ones, then the low-score ones (an object partly hidden
// scores low, and dropping its box is what makes plain trackers lose its identity). SORT is this tracker with the
// second stage off (ByteTrackSettings::second_stage = false). The steps follow BYTETracker.update in
// yolox/tracker/byte_tracker.py, each cited where it is done (src/track/byte_tracker.cpp).
//
// The tracker takes one frame's detections at a time (tint's data::Detection: a box in pixels, a class, a score), so
// it does not depend on where they come from: a video decoder and detector, or a file of detections.
#pragma once

#include <vector>

#include "tint/data/boxes.h"
#include "tint/track/assignment.h"
#include "tint/track/kalman_filter.h"

namespace tint::track {

struct ByteTrackSettings {
  // A detection is "high" when its score >= track_thresh, "low" when low_thresh <= score < track_thresh; lower ones
  // are dropped. ByteTrack: args.track_thresh 0.5 and the fixed 0.1 of byte_tracker.py (which writes > for both).
  float track_thresh = 0.5f;
  float low_thresh = 0.1f;
  // An unmatched high detection starts a track only when its score >= track_thresh + new_track_margin (ByteTrack's
  // det_thresh = track_thresh + 0.1): a new identity needs more evidence than keeping an old one.
  float new_track_margin = 0.1f;
  // Gates, as costs 1 - IoU that a match may not exceed (ByteTrack's thresholds to linear_assignment):
  float match_thresh = 0.8f;              // first stage, high detections with all tracks: IoU >= 0.2
  float second_match_thresh = 0.5f;       // second stage, low detections with tracks still unmatched: IoU >= 0.5
  float unconfirmed_match_thresh = 0.7f;  // tracks seen in one frame only, with the remaining high ones: IoU >= 0.3
  // Frames a lost track is kept for re-finding, at 30 frames per second; scaled by frame_rate / 30 (ByteTrack's
  // buffer_size = int(frame_rate / 30 * track_buffer)).
  int track_buffer = 30;
  double frame_rate = 30;
  // The second association stage (BYTE itself). Off, low-score detections are dropped: SORT's association.
  bool second_stage = true;
  // Whether a detection may match only a track of its own class. ByteTrack is class-agnostic (it tracked people
  // alone); with a multi-class detector a per-class tracker does not turn a person into the bicycle beside them when
  // the two overlap, and an object's class flickering between two labels then costs an identity, a lesser harm that
  // class-agnostic tracking (false) avoids. A track carries the class of its latest matched detection either way.
  bool per_class = true;
  // ByteTrack's matching.fuse_score (its MOT17 setting; off for MOT20): the first stage and the unconfirmed tracks
  // use 1 - IoU x score as the cost, so that a weak detection needs more overlap. Off here, the gates mean the IoUs
  // written above, whatever scale a detector's scores have.
  bool fuse_score = false;
  // A tracked and a lost track overlapping by IoU > 1 - duplicate_thresh are one object: the younger is dropped
  // (remove_duplicate_stracks, 0.15).
  float duplicate_thresh = 0.15f;
};

// Throws tint::Error naming the first setting out of its range.
void validate(const ByteTrackSettings& settings);

// One object the tracker outputs for a frame.
struct TrackedObject {
  int id = 0;     // 1, 2, 3, ... in the order tracks are confirmed; kept for the object's life
  data::Box box;  // the Kalman filter's box after this frame's update (ByteTrack's STrack.tlbr)
  int class_id = 0;
  float score = 0;  // the latest matched detection's score
};

class ByteTracker {
 public:
  explicit ByteTracker(ByteTrackSettings settings = {});

  // The next frame: associates `detections` with the tracks and returns the confirmed tracks matched in this frame
  // (BYTETracker.update's output_stracks), in the order of their ids. Frames are counted from 1.
  std::vector<TrackedObject> update(const std::vector<data::Detection>& detections);

  int frame() const { return frame_; }
  const ByteTrackSettings& settings() const { return settings_; }
  // Lost tracks are kept this many frames (the buffer scaled by the frame rate).
  int max_time_lost() const { return max_time_lost_; }
  // Identities given so far (ids run 1..identities()).
  int identities() const { return next_id_ - 1; }

 private:
  enum class State { tracked, lost, removed };
  struct Track {
    KalmanState kalman;
    State state = State::tracked;
    bool activated = false;  // confirmed (ByteTrack's is_activated)
    int id = 0;              // 0 until confirmed
    int class_id = 0;
    float score = 0;
    int start_frame = 0;
    int last_frame = 0;  // the last frame it was matched in (ByteTrack's frame_id / end_frame)
  };

  void activate(Track& track, const data::Detection& d);
  void update_track(Track& track, const data::Detection& d);
  CostMatrix costs(const std::vector<Track*>& tracks, const std::vector<const data::Detection*>& detections,
                   bool fuse) const;
  void remove_duplicates();

  ByteTrackSettings settings_;
  KalmanFilter kalman_;
  int max_time_lost_ = 30;
  int frame_ = 0;
  int next_id_ = 1;
  std::vector<Track> tracks_;  // tracked (confirmed or not) and lost; removed ones are erased
};

}  // namespace tint::track
