// What the report's sections share (colourization runs, sweeps, detection runs): inlined figures, the boxes of final
// numbers, number formats, run names, a scratch folder for plots. Private to src/runs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tint::pages {

// A run's name for headings: its folder's own name ("runs/a/" -> "a").
std::string folder_name(const std::filesystem::path& dir);

// Number formats, one per kind of quantity, so that every table of the page rounds alike.
std::string loss_text(double v);     // 4 decimals
std::string acc_text(double v);      // 2 decimals: accuracies and mAP, precision, recall (all in %)
std::string seconds_text(double v);  // 1 decimal

// One image, inlined as a data: URI in a <figure>; a missing or unreadable file becomes a note in the page and a
// warning.
std::string figure(const std::filesystem::path& file, const std::string& caption, const std::string& css_class,
                   std::vector<std::string>& warnings, double display_scale = 1.0);

// One box of the row of final numbers under a run's heading; `key` ones are highlighted.
std::string final_box(const std::string& label, const std::string& value, bool key = false);

// Scratch folder for comparison plots (gnuplot wants its CSVs beside the PNG); removed with the object.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tint::pages
