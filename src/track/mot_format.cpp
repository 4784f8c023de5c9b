#include "tint/track/mot_format.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tint/core/atomic_file.h"
#include "tint/core/error.h"

namespace tint::track {
namespace {

// The fields of one line: comma-separated numbers, blanks around them allowed.
std::vector<double> mot_fields(const std::string& line, const std::string& where) {
  std::vector<double> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) {
    const auto first = field.find_first_not_of(" \t\r");
    const auto last = field.find_last_not_of(" \t\r");
    const std::string text = first == std::string::npos ? "" : field.substr(first, last - first + 1);
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (text.empty() || used != text.size() || !std::isfinite(value))
      throw Error(where + ": '" + text + "' is not a number");
    fields.push_back(value);
  }
  return fields;
}

int whole(double value, const char* what, const std::string& where) {
  if (value != std::floor(value) || std::abs(value) > 1e9)
    throw Error(where + ": the " + what + " must be a whole number, not " + fmt::format("{}", value));
  return static_cast<int>(value);
}

}  // namespace

std::vector<MotRow> parse_mot(std::istream& in, const std::string& source) {
  std::vector<MotRow> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = source + ":" + std::to_string(number);
    const std::vector<double> f = mot_fields(line, where);
    if (f.size() < 6)
      throw Error(where + ": " + std::to_string(f.size()) +
                  " fields; MOTChallenge's lines have at least 6 (frame, id, left, top, width, height)");
    MotRow row;
    row.frame = whole(f[0], "frame", where);
    row.id = whole(f[1], "id", where);
    if (row.frame < 1) throw Error(where + ": frames are counted from 1, not " + std::to_string(row.frame));
    if (f[4] < 0 || f[5] < 0) throw Error(where + ": a box of negative width or height");
    row.box = {static_cast<float>(f[2]), static_cast<float>(f[3]), static_cast<float>(f[2] + f[4]),
               static_cast<float>(f[3] + f[5])};
    if (f.size() > 6) row.conf = static_cast<float>(f[6]);
    if (f.size() == 9) {
      row.class_id = whole(f[7], "class", where);
      row.visibility = static_cast<float>(f[8]);
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<MotRow> read_mot(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot be read");
  return parse_mot(in, path.string());
}

void write_mot(std::ostream& out, const std::vector<MotRow>& rows) {
  for (const MotRow& r : rows)
    out << fmt::format("{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},-1,-1,-1\n", r.frame, r.id, r.box.x1, r.box.y1,
                       r.box.x2 - r.box.x1, r.box.y2 - r.box.y1, r.conf);
}

void write_mot(const std::filesystem::path& path, const std::vector<MotRow>& rows) {
  write_stream_atomic(path, [&](std::ostream& out) { write_mot(out, rows); });
}

std::vector<MotRow> to_mot_rows(int frame, const std::vector<TrackedObject>& objects) {
  std::vector<MotRow> rows;
  rows.reserve(objects.size());
  for (const TrackedObject& o : objects) {
    MotRow row;
    row.frame = frame;
    row.id = o.id;
    row.box = o.box;
    row.conf = o.score;
    row.class_id = o.class_id;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace tint::track
