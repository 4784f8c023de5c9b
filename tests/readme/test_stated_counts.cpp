// The counts README.md and docs/*.md state against scripts/count, which computes them: "about N tests" within 10 %
// (a page need not change with every test added, but is refreshed when the suite grows or shrinks by a tenth), and
// "N fuzz harnesses" exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "support/test_support.h"

namespace tint::test {
namespace {
namespace fs = std::filesystem;

int number(std::string word) {
  static const std::map<std::string, int> words{{"one", 1},  {"two", 2},  {"three", 3},   {"four", 4},
                                                {"five", 5}, {"six", 6},  {"seven", 7},   {"eight", 8},
                                                {"nine", 9}, {"ten", 10}, {"eleven", 11}, {"twelve", 12}};
  word.erase(std::remove(word.begin(), word.end(), ','), word.end());
  for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = words.find(word);
  return it != words.end() ? it->second : std::stoi(word);
}

// "tests N" and "fuzz harnesses N" from scripts/count.
std::map<std::string, int> computed_counts() {
  const auto r = run_command("TINT_BUILD_DIR=" + shell_quote(build_dir().string()) + " " +
                             shell_quote((source_dir() / "scripts" / "count").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, int> counts;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    if (space != std::string::npos) counts[line.substr(0, space)] = std::stoi(line.substr(space + 1));
  }
  return counts;
}

std::vector<std::pair<std::string, std::string>> pages_text() {
  std::vector<fs::path> files{source_dir() / "README.md"};
  for (const auto& e : fs::directory_iterator(source_dir() / "docs"))
    if (e.path().extension() == ".md") files.push_back(e.path());
  std::vector<std::pair<std::string, std::string>> pages;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    pages.emplace_back(fs::relative(f, source_dir()).string(), text.str());
  }
  return pages;
}

TEST(StatedCounts, MatchWhatScriptsCountComputes) {
  const auto counts = computed_counts();
  ASSERT_EQ(counts.count("tests"), 1u);
  ASSERT_EQ(counts.count("fuzz harnesses"), 1u);
  const int tests = counts.at("tests"), harnesses = counts.at("fuzz harnesses");
  std::cout << "scripts/count: " << tests << " tests, " << harnesses << " fuzz harnesses\n";
  const std::regex about_tests(R"(about ([0-9][0-9,]*) tests)");
  const std::regex fuzz_harnesses(
      R"(\b([0-9]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) (fuzz|libFuzzer) harnesses)",
      std::regex::icase);
  int stated_tests = 0, stated_harnesses = 0;
  for (const auto& [page, text] : pages_text()) {
    for (std::sregex_iterator m(text.begin(), text.end(), about_tests), end; m != end; ++m, ++stated_tests) {
      const int stated = number((*m)[1]);
      EXPECT_LE(std::abs(stated - tests), 0.1 * stated)
          << page << ": \"" << m->str() << "\", but scripts/count gives " << tests << " tests: update the page";
    }
    for (std::sregex_iterator m(text.begin(), text.end(), fuzz_harnesses), end; m != end; ++m, ++stated_harnesses) {
      EXPECT_EQ(number((*m)[1]), harnesses)
          << page << ": \"" << m->str() << "\", but scripts/count gives " << harnesses << ": update the page";
    }
  }
  // The README's quick start states both: a check that found nothing to check would pass by accident.
  EXPECT_GT(stated_tests, 0) << "no page states \"about N tests\"";
  EXPECT_GT(stated_harnesses, 0) << "no page states \"N fuzz harnesses\"";
}

}  // namespace
}  // namespace tint::test
