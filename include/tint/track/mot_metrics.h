// Scores of a tracker against ground truth, written from their definitions:
//   CLEAR MOT (Bernardin and Stiefelhagen, "Evaluating Multiple Object Tracking Performance: The CLEAR MOT Metrics",
//     EURASIP JIVP 2008): MOTA = 1 - (FN + FP + IDSW) / GT and MOTP, from a per-frame matching that keeps earlier
//     correspondences;
//   identity scores (Ristani et al., "Performance Measures and a Data Set for Multi-Target, Multi-Camera Tracking",
//     ECCV 2016 workshops): IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN), IDP and IDR, from one matching of whole
//     trajectories.
// A truth and a hypothesis box may correspond in a frame when their IoU >= iou_threshold (0.5, as MOTChallenge).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tint/track/mot_format.h"

namespace tint::track {

struct ClearMot {
  int64_t truths = 0;           // GT: truth boxes over all frames
  int64_t hypotheses = 0;       // hypothesis boxes over all frames
  int64_t matches = 0;          // corresponding pairs (true positives)
  int64_t misses = 0;           // FN: truth boxes with no hypothesis
  int64_t false_positives = 0;  // FP: hypothesis boxes with no truth
  int64_t id_switches = 0;      // IDSW: a truth matched to another hypothesis id than the last time it was matched
  double iou_sum = 0;           // of the matched pairs

  // 1 - (FN + FP + IDSW) / GT; can be negative; NaN without truth boxes.
  double mota() const;
  // The mean IoU of the matched pairs (MOTChallenge's MOTP, as an overlap: 1 is perfect); NaN without matches.
  double motp() const;
};

struct IdentityScores {
  int64_t idtp = 0;  // frames where a truth and the hypothesis its trajectory is matched to correspond
  int64_t idfp = 0;  // hypothesis boxes not counted in IDTP
  int64_t idfn = 0;  // truth boxes not counted in IDTP

  double idf1() const;  // 2 IDTP / (2 IDTP + IDFP + IDFN); NaN when there are no boxes at all
  double idp() const;   // IDTP / (IDTP + IDFP); NaN without hypothesis boxes
  double idr() const;   // IDTP / (IDTP + IDFN); NaN without truth boxes
};

struct TrackingScores {
  ClearMot clear;
  IdentityScores identity;
};

// CLEAR MOT over a sequence, frame by frame in increasing frame number:
//  1. every truth whose last matched hypothesis (in any earlier frame) is present and still within the IoU threshold
//     keeps it, even when another hypothesis now overlaps it more (the correspondence is kept, not re-decided);
//  2. the truths and hypotheses left are matched with the most pairs within the threshold and, among those, the
//     largest sum of IoU (the Hungarian method on 1 - IoU);
//  3. a truth matched in step 2 to another hypothesis than its last matched one counts one id switch;
//  4. unmatched truths are misses, unmatched hypotheses false positives.
// The paper keeps the correspondences of frame t - 1; keeping the last one of any earlier frame, as step 1 does, is
// what py-motmetrics and MOTChallenge's evaluation do, and it is the same correspondence that step 3 compares with.
// Throws tint::Error when an id occurs twice in one frame of either sequence.
ClearMot clear_mot(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses, double iou_threshold = 0.5);

// Identity scores: IDTP is the largest sum, over a one-to-one matching between truth ids and hypothesis ids, of the
// frames in which the pair is present with IoU >= the threshold (a truth or hypothesis id may stay unmatched); the
// matching is one for the whole sequence, found by the Hungarian method. IDFN = truth boxes - IDTP and IDFP =
// hypothesis boxes - IDTP, which is Ristani's minimum of IDFN + IDFP over the bipartite matching with false-positive
// and false-negative stand-ins.
IdentityScores identity_scores(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses,
                               double iou_threshold = 0.5);

TrackingScores evaluate_tracking(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses,
                                 double iou_threshold = 0.5);

// One line each: "MOTA 0.912 MOTP 0.843 IDF1 0.871 IDP ... IDR ... GT n FP n FN n IDSW n".
std::string format_tracking_scores(const TrackingScores& scores);

}  // namespace tint::track
