// docs/architecture.md against the tree: every folder of src/ (each is a layer, src/CMakeLists.txt) is named on the
// page as `<folder>/`, and every `src/<folder>/` the page writes exists, or is one of the folders announced as coming.
// A layer added, renamed or removed without the page fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace tint::test {
namespace {
namespace fs = std::filesystem;

// Folders the page may name as src/<folder>/ before they exist: layers that DESIGN announces and that are not built
// yet. A folder that lands leaves this list (it then has to exist); one that is dropped leaves the page.
// (video/ was the last one: it landed on the branch `video`.)
const std::set<std::string> kComing = {};

// Whether `page` names `folder` as a folder: `<folder>/` at the start of a path (after a blank, a backtick, a
// bracket, a bar or the start of a line), or as `src/<folder>/`. `shared/data/` or `tint/data/` do not count.
bool names_folder(const std::string& page, const std::string& folder) {
  const std::regex named("(^|[\\s`(\\[|*])(src/)?" + folder + "/");
  return std::regex_search(page, named);
}

// What is wrong with `page` for a tree whose src/ holds `folders`: one line per problem.
std::vector<std::string> problems(const std::string& page, const std::set<std::string>& folders) {
  std::vector<std::string> found;
  for (const auto& folder : folders)
    if (!names_folder(page, folder))
      found.push_back("src/" + folder + "/ is a layer, but docs/architecture.md does not name it as `" + folder + "/`");
  static const std::regex src_path("(^|[^A-Za-z0-9_./-])src/([A-Za-z0-9_-]+)/");
  std::set<std::string> reported;
  for (std::sregex_iterator m(page.begin(), page.end(), src_path), end; m != end; ++m) {
    const std::string name = (*m)[2];
    if (folders.count(name) == 0 && kComing.count(name) == 0 && reported.insert(name).second)
      found.push_back("docs/architecture.md names src/" + name +
                      "/, which does not exist (nor is it listed as coming "
                      "in tests/readme/test_architecture_doc.cpp)");
  }
  return found;
}

std::set<std::string> source_folders() {
  std::set<std::string> folders;
  for (const auto& e : fs::directory_iterator(source_dir() / "src"))
    if (e.is_directory()) folders.insert(e.path().filename().string());
  return folders;
}

std::string architecture_page() {
  std::ifstream in(source_dir() / "docs" / "architecture.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ArchitecturePage, NamesEveryLayerFolderAndNoMissingOne) {
  const auto folders = source_folders();
  ASSERT_GE(folders.size(), 10u) << "src/ of " << source_dir() << " holds fewer folders than tint has layers";
  const std::string page = architecture_page();
  ASSERT_FALSE(page.empty()) << "docs/architecture.md is missing or empty";
  for (const auto& problem : problems(page, folders)) ADD_FAILURE() << problem;
}

// The check itself, on a made-up page and tree: it can fail, and in the ways it says.
TEST(ArchitecturePage, TheCheckFindsAMissingLayerAndANameWithoutAFolder) {
  const std::set<std::string> tree = {"core", "data", "runs"};
  const std::string page =
      "| `core/` | errors |\n"
      "src/data/ reads CIFAR-10, see `src/data/cifar10.cpp`; shared/runs/ is elsewhere\n"
      "src/gone/ was removed\n";
  const auto found = problems(page, tree);
  ASSERT_EQ(found.size(), 2u) << testing::PrintToString(found);
  EXPECT_NE(found[0].find("src/runs/ is a layer, but docs/architecture.md does not name it"), std::string::npos);
  EXPECT_NE(found[1].find("names src/gone/, which does not exist"), std::string::npos);
  EXPECT_TRUE(problems("core/ data/ (runs/)", tree).empty());
  EXPECT_FALSE(names_folder("include/tint/runs/ and shared/runs/", "runs"));
  EXPECT_TRUE(names_folder("**runs/** (being written)", "runs"));
}

}  // namespace
}  // namespace tint::test
