// Every command in the code blocks of README.md and docs/*.md runs, in page order, in one folder per page (so later
// commands find what earlier ones made): cheap ones as written, costly ones with the small settings that
// command_rules.cpp lists, each exiting 0 (2 where the page shows `tint: error:`) and printing the output the page
// quotes. A command the test does not know fails it, so a new one cannot slip in untested.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "readme/command_rules.h"
#include "readme/doc_commands.h"
#include "readme/fixtures.h"
#include "support/test_support.h"
#include "tint/distributed/launcher.h"

namespace tint::test {
namespace {
namespace fs = std::filesystem;

// README.md, then docs/*.md by name.
std::vector<std::string> pages() {
  std::vector<std::string> names{"README.md"};
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(source_dir() / "docs"))
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  std::sort(docs.begin(), docs.end());
  names.insert(names.end(), docs.begin(), docs.end());
  return names;
}

DocScan scan_page(const std::string& page) {
  std::ifstream in(source_dir() / page);
  std::stringstream text;
  text << in.rdbuf();
  return scan_markdown(page, text.str());
}

// A command's VAR=value settings and its words.
struct Split {
  std::map<std::string, std::string> env;
  Words words;
};

Split split(const std::string& text) {
  Split s;
  for (const auto& w : shell_words(text)) {
    const size_t eq = w.find('=');
    const bool setting = s.words.empty() && eq != std::string::npos && eq > 0 &&
                         w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == eq;
    if (setting)
      s.env[w.substr(0, eq)] = w.substr(eq + 1);
    else
      s.words.push_back(w);
  }
  return s;
}

// Unknown commands belong to the group that needs nothing, which every page with commands has.
Needs needs_of(const DocCommand& c) {
  Words words = split(c.text).words;
  const Rule* rule = rule_for(words);
  if (rule == nullptr) return Needs::nothing;
  if (rule->words == "scripts/tint") {  // the launcher needs what its tint command needs
    words[0] = "tint";
    if (const Rule* r = rule_for(words)) return r->needs_of(words);
  }
  return rule->needs_of(words);
}

struct Case {
  std::string page;
  Needs needs;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.page << ", " << needs_name(c.needs); }

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const auto& page : pages()) {
    std::set<Needs> needs;
    for (const auto& c : scan_page(page).commands) needs.insert(needs_of(c));
    for (Needs n : needs) all.push_back({page, n});
  }
  return all;
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string name;
  for (char c : info.param.page) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name + "_" + needs_name(info.param.needs);
}

std::string joined(const Words& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line;
}

// Output folders given as absolute paths (`--out /shared/run`, a cluster's shared disk) go under the test's folder.
void relative_outputs(Words& w) {
  for (size_t i = 1; i + 1 < w.size(); ++i)
    if ((w[i] == "--out" || w[i] == "-o" || w[i] == "--out-dir") && !w[i + 1].empty() && w[i + 1][0] == '/')
      w[i + 1] = w[i + 1].substr(1);
}

// `tint` is this build's binary; scripts/ and bench/ are the source tree's.
void resolve_program(std::string& program) {
  if (program == "tint") {
    program = tint_binary().string();
  } else if (program.rfind("scripts/", 0) == 0 || program.rfind("bench/", 0) == 0) {
    program = (source_dir() / program).string();
  }
}

const char* const kTimeout = "timeout --kill-after=10 300 ";

// The line that runs one command; a worker of a cluster job (RANK and WORLD_SIZE set) starts with every other rank
// of its world on this machine, on 127.0.0.1 and a free port.
std::string shell_line(const Split& s) {
  std::string settings;
  for (const auto& [name, value] : s.env)
    if (name != "RANK") settings += name + "=" + shell_quote(value) + " ";
  if (s.env.count("RANK") == 0 || s.env.count("WORLD_SIZE") == 0) return settings + kTimeout + joined(s.words);
  settings += "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(distributed::free_port()) + " ";
  std::string line = "status=0; pids=";
  const int world = std::stoi(s.env.at("WORLD_SIZE"));
  for (int rank = 0; rank < world; ++rank)
    line += "; RANK=" + std::to_string(rank) + " " + settings + kTimeout + joined(s.words) + " & pids=\"$pids $!\"";
  return line + "; for p in $pids; do wait $p || status=$?; done; exit $status";
}

// The first quoted line or fragment the output lacks, or "". Transcript lines are matched in order against the
// printed lines (stdout, then stderr); a comment's fragments anywhere in them.
std::string missing_output(const DocCommand& c, const CommandResult& r) {
  std::vector<std::string> lines;
  std::istringstream printed(r.out + "\n" + r.err);
  for (std::string l; std::getline(printed, l);) lines.push_back(l);
  size_t next = 0;
  for (const auto& want : c.output) {
    const std::string pattern = c.transcript ? want : "..." + want + "...";
    size_t i = c.transcript ? next : 0;
    while (i < lines.size() && !line_matches(pattern, lines[i])) ++i;
    if (i == lines.size()) return want;
    next = i + 1;
  }
  return "";
}

int expected_status(const DocCommand& c) {
  for (const auto& line : c.output)
    if (c.transcript && line.rfind("tint: error:", 0) == 0) return 2;
  return 0;
}

std::string tail(const std::string& s, size_t n = 3000) { return s.size() > n ? "..." + s.substr(s.size() - n) : s; }

class DocCommands : public testing::TestWithParam<Case> {};

TEST_P(DocCommands, RunAndPrintWhatThePageQuotes) {
  const Case& param = GetParam();
  std::optional<fs::path> detection;
  if (param.needs == Needs::detection_data || param.needs == Needs::opencv_and_detection_data) {
    TINT_SKIP_WITHOUT_DETECTION_DATA(dir, "coco128", "raccoon");  // the fixtures link and copy these
    detection = dir;
  }
  // Not data, and not a package scripts/deps.sh installs (1 GB for one benchmark's reference): a skip everywhere.
  if (param.needs == Needs::python_torch && !python_can_import("torch"))
    GTEST_SKIP() << reference_python() << " cannot import torch: apt-get install python3-torch (the page says so)";
  if (param.needs == Needs::opencv_and_detection_data) TINT_SKIP_IF_MISSING(missing_python_cv2());

  TempDir work("tint-doc-commands");
  make_fixtures(work.path(), source_dir(), detection);
  const Places places{source_dir(), build_dir(), work.path(), detection.value_or(fs::path())};
  std::set<std::string> clusters_run;  // a cluster's documented ranks after the first ran with it
  for (const auto& c : scan_page(param.page).commands) {
    if (needs_of(c) != param.needs) continue;
    Split s = split(c.text);
    const Rule* rule = rule_for(s.words);
    if (rule == nullptr) {
      ADD_FAILURE() << c.where() << ": `" << c.text << "`: the documentation test does not know this command; give it "
                    << "a row in tests/readme/command_rules.cpp (run as written, adapted, or not run and why)";
      continue;
    }
    if (!rule->run) {
      std::cout << c.where() << ": not run: `" << c.text << "`: " << rule->why << "\n";
      continue;
    }
    if (s.env.count("RANK") != 0) {
      const std::string cluster = std::to_string(c.block) + " " + joined(s.words);  // the same job, another rank
      if (!clusters_run.insert(cluster).second) {
        std::cout << c.where() << ": ran with its world above: `" << c.text << "`\n";
        continue;
      }
    }
    if (rule->adapt) rule->adapt(s.words, places);
    relative_outputs(s.words);
    resolve_program(s.words[0]);
    const std::string line = shell_line(s);
    const auto start = std::chrono::steady_clock::now();
    const CommandResult r = run_command("cd " + shell_quote(work.path().string()) + " || exit 99\nTINT_BUILD_DIR=" +
                                        shell_quote(build_dir().string()) + "; export TINT_BUILD_DIR\n" + line);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << c.where() << ": " << (rule->adaptation.empty() ? "as written" : "adapted (" + rule->adaptation + ")")
              << ", exit " << r.exit_code << ", " << seconds << " s: `" << c.text << "`\n";
    const std::string printed = "\nran as: " + line + "\nstdout:\n" + tail(r.out) + "\nstderr:\n" + tail(r.err);
    if (r.exit_code != expected_status(c))
      ADD_FAILURE() << c.where() << ": `" << c.text << "` exited " << r.exit_code << ", the page expects "
                    << expected_status(c) << printed;
    if (const std::string missing = missing_output(c, r); !missing.empty())
      ADD_FAILURE() << c.where() << ": `" << c.text << "` did not print \"" << missing << "\", which the page quotes"
                    << printed;
  }
}

INSTANTIATE_TEST_SUITE_P(Pages, DocCommands, testing::ValuesIn(cases()), case_name);

// A command-like line outside an sh block or a transcript would never be run: mark it, or make it a synopsis.
TEST(DocPages, CommandsAreInShBlocksOrTranscripts) {
  for (const auto& page : pages())
    for (const auto& line : scan_page(page).unmarked)
      ADD_FAILURE() << line << ": looks like a command outside a ```sh block or a `$ ` transcript: the documentation "
                    << "test would not run it (a synopsis needs a [flag] or an UPPER-CASE placeholder)";
}

}  // namespace
}  // namespace tint::test
