// MOTChallenge's text format (Milan et al., "MOT16: A Benchmark for Multi-Object Tracking", 2016): one box per line,
// comma-separated,
//   frame, id, bb_left, bb_top, bb_width, bb_height, conf, x, y, z      (results and detections; x, y, z are -1)
//   frame, id, bb_left, bb_top, bb_width, bb_height, conf, class, visibility      (ground truth, gt.txt)
// with frames counted from 1 and boxes in pixels. In gt.txt, conf is a flag: 0 marks a box that MOTChallenge's
// evaluation ignores, together with the hypotheses matched to it; the reader keeps every row, and the metrics
// (mot_metrics.h) score the rows they are given.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "tint/data/boxes.h"
#include "tint/track/byte_tracker.h"

namespace tint::track {

struct MotRow {
  int frame = 0;
  int id = 0;
  data::Box box;
  float conf = 1;
  int class_id = -1;      // ground truth's 8th column; -1 where the line has none
  float visibility = -1;  // ground truth's 9th column; -1 where the line has none
};

// Reads lines of 6 or more comma-separated numbers (blank lines skipped); with exactly 9 columns the last two are
// the class and visibility. Throws tint::Error naming `source` and the line on anything else.
std::vector<MotRow> parse_mot(std::istream& in, const std::string& source);
std::vector<MotRow> read_mot(const std::filesystem::path& path);

// Writes MOTChallenge's results format, one line per row in the given order:
// "frame,id,left,top,width,height,conf,-1,-1,-1" with two decimals, as ByteTrack's write_results. The class is not
// part of that format and is not written.
void write_mot(std::ostream& out, const std::vector<MotRow>& rows);
void write_mot(const std::filesystem::path& path, const std::vector<MotRow>& rows);  // atomically

// The rows of one frame of a tracker's output.
std::vector<MotRow> to_mot_rows(int frame, const std::vector<TrackedObject>& objects);

}  // namespace tint::track
