#include "tint/track/mot_metrics.h"

#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "tint/core/error.h"
#include "tint/track/assignment.h"

namespace tint::track {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct FrameRows {
  std::vector<const MotRow*> truth;
  std::vector<const MotRow*> hypotheses;
};

// The rows of both sequences by frame, in increasing frame order; an id twice in one frame is an error.
std::map<int, FrameRows> rows_by_frame(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses) {
  std::map<int, FrameRows> frames;
  for (const MotRow& r : truth) frames[r.frame].truth.push_back(&r);
  for (const MotRow& r : hypotheses) frames[r.frame].hypotheses.push_back(&r);
  for (const auto& [frame, rows] : frames) {
    for (const auto* list : {&rows.truth, &rows.hypotheses}) {
      std::set<int> ids;
      for (const MotRow* r : *list)
        if (!ids.insert(r->id).second)
          throw Error(fmt::format("tracking scores: id {} occurs twice in frame {} of the {}", r->id, frame,
                                  list == &rows.truth ? "ground truth" : "hypotheses"));
    }
  }
  return frames;
}

// IoU of every truth (rows) with every hypothesis (columns) of a frame.
std::vector<std::vector<double>> frame_ious(const FrameRows& f) {
  std::vector<std::vector<double>> ious(f.truth.size(), std::vector<double>(f.hypotheses.size()));
  for (std::size_t i = 0; i < f.truth.size(); ++i)
    for (std::size_t j = 0; j < f.hypotheses.size(); ++j) ious[i][j] = data::iou(f.truth[i]->box, f.hypotheses[j]->box);
  return ious;
}

double ratio(double num, double den) { return den > 0 ? num / den : kNaN; }

}  // namespace

double ClearMot::mota() const {
  return truths > 0 ? 1.0 - static_cast<double>(misses + false_positives + id_switches) / truths : kNaN;
}
double ClearMot::motp() const { return ratio(iou_sum, matches); }

double IdentityScores::idf1() const { return ratio(2.0 * idtp, 2.0 * idtp + idfp + idfn); }
double IdentityScores::idp() const { return ratio(idtp, idtp + idfp); }
double IdentityScores::idr() const { return ratio(idtp, idtp + idfn); }

ClearMot clear_mot(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses, double iou_threshold) {
  ClearMot result;
  std::map<int, int> last_match;  // truth id -> the hypothesis id it was last matched to
  for (const auto& [frame, f] : rows_by_frame(truth, hypotheses)) {
    const int nt = static_cast<int>(f.truth.size()), nh = static_cast<int>(f.hypotheses.size());
    result.truths += nt;
    result.hypotheses += nh;
    const auto ious = frame_ious(f);
    std::vector<char> truth_done(nt, 0), hyp_done(nh, 0);
    auto match = [&](int i, int j) {
      truth_done[i] = hyp_done[j] = 1;
      ++result.matches;
      result.iou_sum += ious[i][j];
      last_match[f.truth[i]->id] = f.hypotheses[j]->id;
    };
    // 1. Correspondences kept: the truth's last hypothesis, if here and still within the threshold.
    for (int i = 0; i < nt; ++i) {
      const auto last = last_match.find(f.truth[i]->id);
      if (last == last_match.end()) continue;
      for (int j = 0; j < nh; ++j)
        if (!hyp_done[j] && f.hypotheses[j]->id == last->second && ious[i][j] >= iou_threshold) {
          match(i, j);
          break;
        }
    }
    // 2. The rest: most pairs within the threshold, then the least total 1 - IoU.
    std::vector<int> rows, cols;
    for (int i = 0; i < nt; ++i)
      if (!truth_done[i]) rows.push_back(i);
    for (int j = 0; j < nh; ++j)
      if (!hyp_done[j]) cols.push_back(j);
    CostMatrix cost(static_cast<int>(rows.size()), static_cast<int>(cols.size()));
    for (int r = 0; r < cost.rows(); ++r)
      for (int c = 0; c < cost.cols(); ++c) {
        const double overlap = ious[rows[r]][cols[c]];
        cost(r, c) = overlap >= iou_threshold ? 1.0 - overlap : kForbidden;
      }
    for (const auto& [r, c] : maximum_matching(cost, 1.0).pairs) {
      const int i = rows[r], j = cols[c];
      // 3. An id switch: the truth was matched before, to another hypothesis.
      const auto last = last_match.find(f.truth[i]->id);
      if (last != last_match.end() && last->second != f.hypotheses[j]->id) ++result.id_switches;
      match(i, j);
    }
    // 4. What is left over.
    for (int i = 0; i < nt; ++i) result.misses += !truth_done[i];
    for (int j = 0; j < nh; ++j) result.false_positives += !hyp_done[j];
  }
  return result;
}

IdentityScores identity_scores(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses,
                               double iou_threshold) {
  // Trajectories as indices 0.. in order of id.
  std::map<int, int> truth_index, hyp_index;
  for (const MotRow& r : truth) truth_index.emplace(r.id, 0);
  for (const MotRow& r : hypotheses) hyp_index.emplace(r.id, 0);
  int n = 0;
  for (auto& [id, index] : truth_index) index = n++;
  n = 0;
  for (auto& [id, index] : hyp_index) index = n++;

  // frames_together(t, h): frames in which truth t and hypothesis h are both present with IoU >= the threshold.
  const int nt = static_cast<int>(truth_index.size()), nh = static_cast<int>(hyp_index.size());
  std::vector<int64_t> frames_together(static_cast<std::size_t>(nt) * nh, 0);
  for (const auto& [frame, f] : rows_by_frame(truth, hypotheses)) {
    const auto ious = frame_ious(f);
    for (std::size_t i = 0; i < f.truth.size(); ++i)
      for (std::size_t j = 0; j < f.hypotheses.size(); ++j)
        if (ious[i][j] >= iou_threshold)
          ++frames_together[static_cast<std::size_t>(truth_index[f.truth[i]->id]) * nh +
                            hyp_index[f.hypotheses[j]->id]];
  }

  // One matching of whole trajectories maximizing IDTP: the least sum of -frames_together over pairs that share a
  // frame (a pair sharing none would add nothing, and is left unmatched).
  CostMatrix cost(nt, nh);
  for (int t = 0; t < nt; ++t)
    for (int h = 0; h < nh; ++h) {
      const int64_t together = frames_together[static_cast<std::size_t>(t) * nh + h];
      cost(t, h) = together > 0 ? -static_cast<double>(together) : kForbidden;
    }
  IdentityScores scores;
  for (const auto& [t, h] : gated_assignment(cost, 0.0).pairs)
    scores.idtp += frames_together[static_cast<std::size_t>(t) * nh + h];
  scores.idfn = static_cast<int64_t>(truth.size()) - scores.idtp;
  scores.idfp = static_cast<int64_t>(hypotheses.size()) - scores.idtp;
  return scores;
}

TrackingScores evaluate_tracking(const std::vector<MotRow>& truth, const std::vector<MotRow>& hypotheses,
                                 double iou_threshold) {
  return {clear_mot(truth, hypotheses, iou_threshold), identity_scores(truth, hypotheses, iou_threshold)};
}

std::string format_tracking_scores(const TrackingScores& s) {
  return fmt::format("MOTA {:.3f} MOTP {:.3f} IDF1 {:.3f} IDP {:.3f} IDR {:.3f} GT {} FP {} FN {} IDSW {}",
                     s.clear.mota(), s.clear.motp(), s.identity.idf1(), s.identity.idp(), s.identity.idr(),
                     s.clear.truths, s.clear.false_positives, s.clear.misses, s.clear.id_switches);
}

}  // namespace tint::track
