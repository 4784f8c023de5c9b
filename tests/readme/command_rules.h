// How the documentation test runs each kind of command the pages hold: as written, with small settings it adds, or
// not at all (and why); and what data or package it needs. One row per kind, chosen by the command's leading words.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace tint::test {

using Words = std::vector<std::string>;

// What a command needs besides the build and the repository; the commands of a page are tested in one group per
// need, so that absent data skips only the commands that read it.
enum class Needs { nothing, detection_data, python_torch, opencv_and_detection_data };
std::string needs_name(Needs needs);

// Where the commands run.
struct Places {
  std::filesystem::path source, build, work, detection;
};

struct Rule {
  std::string words;  // leading words: "tint train", "scripts/fuzz.sh", "apt-get"
  bool run = true;    // false: recognised and not run
  Needs needs = Needs::nothing;
  std::string adaptation;                            // what the test adds or changes ("" = as written)
  std::string why;                                   // why that change; for a command not run, why not
  std::function<void(Words&, const Places&)> adapt;  // applies `adaptation` to the whole command
  std::function<Needs(const Words&)> needs_with;     // when what it needs depends on its flags
  Needs needs_of(const Words& command) const;
};

// The table (command_rules.cpp).
const std::vector<Rule>& command_rules();

// The rule whose words begin `command` (the longest such), or nullptr: a command the test does not know.
const Rule* rule_for(const Words& command);

}  // namespace tint::test
