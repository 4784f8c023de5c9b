// The colourizers tint ships (data/pretrained/), one row each: the one place their names, files and descriptions
// are written. `tint colourize --pretrained NAME` and its help read it; the first row is the default.
#pragma once

#include <string>
#include <vector>

namespace tint::colourize {

struct PretrainedColourizer {
  std::string name;   // --pretrained NAME
  std::string file;   // in the pretrained directory (data/pretrained/, or share/tint/pretrained/ when installed)
  std::string about;  // for --help
};

// The default first.
const std::vector<PretrainedColourizer>& pretrained_colourizers();

// The row named `name`; throws tint::Error listing the names for an unknown one.
const PretrainedColourizer& find_pretrained(const std::string& name);

}  // namespace tint::colourize
