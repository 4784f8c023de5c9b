// The Markdown scanner behind the documentation test: what counts as a command and as its quoted output.
#include <gtest/gtest.h>

#include "readme/command_rules.h"
#include "readme/doc_commands.h"

namespace tint::test {
namespace {

const char* const kPage = R"(Text with `tint inline` code, not a block.

```sh
tint padding --kernel 5 --stride 2 --in 32 --out 16   # "best: padding=2" (a quote); other prose
                                                      # "goes on" here
# a comment line of its own: prose, "not quoted output"

tint train --num-filters 8 \
           --epochs 2
```

  ```
  $ tint conv --input "1 2;3 4" --filter "1"
  conv ... -> 2x2
   1   2

  $ tint padding --kernel 3 --in 32 --out 40
  tint: error: no padding
  ```

```
tint report RUN_DIR... [-o report.html]
apps/tint     the CLI
scripts/       the scripts
tint summary --model conv-transpose
```
)";

TEST(DocScanner, FindsShCommandsTranscriptsAndUnmarkedLines) {
  const DocScan scan = scan_markdown("page.md", kPage);
  ASSERT_EQ(scan.commands.size(), 4u);
  EXPECT_EQ(scan.commands[0].text, "tint padding --kernel 5 --stride 2 --in 32 --out 16");
  EXPECT_EQ(scan.commands[0].line, 4);
  EXPECT_EQ(scan.commands[0].output, (std::vector<std::string>{"best: padding=2", "goes on"}));
  EXPECT_FALSE(scan.commands[0].transcript);
  EXPECT_EQ(scan.commands[1].text, "tint train --num-filters 8 --epochs 2");
  EXPECT_EQ(scan.commands[2].text, "tint conv --input \"1 2;3 4\" --filter \"1\"");
  EXPECT_TRUE(scan.commands[2].transcript);
  EXPECT_EQ(scan.commands[2].output, (std::vector<std::string>{"conv ... -> 2x2", "1   2"}));
  EXPECT_EQ(scan.commands[3].output, std::vector<std::string>{"tint: error: no padding"});
  // The synopsis and the layout lines are text; the last line is a command nobody would run.
  EXPECT_EQ(scan.unmarked, std::vector<std::string>{"page.md:25: tint summary --model conv-transpose"});
}

TEST(DocScanner, SplitsWordsAsTheShellDoes) {
  EXPECT_EQ(shell_words(R"(RANK=1 tint conv --input "0 1;1 0" --filter '-1 0' a\ b)"),
            (Words{"RANK=1", "tint", "conv", "--input", "0 1;1 0", "--filter", "-1 0", "a b"}));
}

TEST(DocScanner, QuotedLinesMatchWithEllipsesAndAnySpacing) {
  EXPECT_TRUE(line_matches("report: 2 runs -> a.html (... KiB)", "report: 2 runs -> a.html (283.9 KiB)"));
  EXPECT_TRUE(line_matches("  1   2", "1 2"));
  EXPECT_FALSE(line_matches("best: padding=2", "best: padding=1"));
  EXPECT_FALSE(line_matches("a ... c", "a b"));
  // Rounding error (below 1e-9) matches rounding error; anything larger must be as quoted.
  EXPECT_TRUE(line_matches("off-span 7.704e-16 (|diff| 0.00e+00)", "off-span 7.977e-16 (|diff| 1.39e-17)"));
  EXPECT_FALSE(line_matches("off-span 7.704e-16", "off-span 7.977e-06"));
  EXPECT_FALSE(line_matches("rel.err 4.59e-08", "rel.err 4.60e-08"));
}

TEST(DocScanner, TheLongestRuleWins) {
  ASSERT_NE(rule_for({"tint", "detect", "train", "--data", "x"}), nullptr);
  EXPECT_EQ(rule_for({"tint", "detect", "train", "--data", "x"})->words, "tint detect train");
  EXPECT_EQ(rule_for({"tint", "detect", "photo.jpg"})->words, "tint detect");
  EXPECT_EQ(rule_for({"build-fuzz/fuzz/fuzz_image", "x.jpg"})->words, "build-fuzz/fuzz/");
  EXPECT_EQ(rule_for({"tint", "frobnicate"}), nullptr);
  EXPECT_EQ(rule_for({"scripts/new-thing"}), nullptr);
}

}  // namespace
}  // namespace tint::test
