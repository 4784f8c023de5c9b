// A darknet .cfg file: [sections] of key=value options, read as darknet's parser (src/parser.c, read_cfg) reads them,
// but strictly: a section type, option or activation tint does not know is an error naming the file, the line and
// the layer, never a silent skip. The options darknet reads only for training (learning rate, augmentation, loss
// weights, NMS kind) are known and kept, so a cfg written back still trains in darknet.
//
// Layer indices are darknet's: the first section after [net] is layer 0.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tint::detect {

// The activations tint runs: darknet's names (leaky has slope 0.1, as darknet's leaky_activate).
enum class Activation { leaky, linear, relu, logistic, mish, swish };
Activation parse_activation(const std::string& name);  // throws tint::Error (no file context) for another name
std::string to_string(Activation activation);

struct CfgOption {
  std::string key, value;  // trimmed
  int line = 0;            // 1-based
};

// One [section]. Its getters throw tint::Error naming the file, the option's line, the layer and what was expected.
class CfgSection {
 public:
  std::string type;  // "net", "convolutional", "yolo", ... (darknet's "network" is read as "net")
  int line = 0;      // of the [type] header
  int index = -1;    // darknet's layer index; -1 for [net]
  std::string file_name;
  std::vector<CfgOption> options;  // in file order; each key at most once

  bool has(const std::string& key) const { return find(key) != nullptr; }
  const CfgOption* find(const std::string& key) const;

  int get_int(const std::string& key, int fallback) const;
  int require_int(const std::string& key) const;
  float get_float(const std::string& key, float fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<int> get_ints(const std::string& key) const;      // "1, 2,3"; the option must be present
  std::vector<float> get_floats(const std::string& key) const;  // likewise
  Activation get_activation(const std::string& fallback) const;

  // Sets (or adds) an option, e.g. classes= after a change of class list. The line stays 0 for an added one.
  void set(const std::string& key, const std::string& value);

  // "yolo-fastest-1.1.cfg:130: layer 45 [convolutional]" (or "...: [net]"), with the option's line when key is
  // given and present: the prefix of every error about this section.
  std::string where(const std::string& key = {}) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
};

struct DarknetCfg {
  std::string file_name;
  std::vector<CfgSection> sections;  // sections[0] is [net]; sections[i + 1] is layer i

  const CfgSection& net() const { return sections.front(); }
  int num_layers() const { return static_cast<int>(sections.size()) - 1; }
  const CfgSection& layer(int i) const { return sections.at(i + 1); }
  CfgSection& layer(int i) { return sections.at(i + 1); }
};

// Parses cfg text; `file_name` names it in errors. Comments: a line whose first non-blank character is '#' or ';'.
// Options: key = value (blanks around '=' allowed). Checks that the first section is [net], that every section type
// and option is known (see darknet_cfg.cpp for the lists), that no option is given twice in a section, and that
// every activation is one of leaky, linear, relu, logistic, mish, swish.
DarknetCfg parse_cfg(std::string_view text, const std::string& file_name);
DarknetCfg read_cfg(const std::filesystem::path& path);

// The cfg as text darknet and OpenCV read: each section's options in their order, one blank line between sections.
// parse_cfg(format_cfg(c)) has the same sections and options as c.
std::string format_cfg(const DarknetCfg& cfg);
void write_cfg(const std::filesystem::path& path, const DarknetCfg& cfg);  // atomically

}  // namespace tint::detect
