// The commands of a Markdown page's fenced code blocks, as a reader would type them, with the output the page
// quotes for each.
//   ```sh blocks: one command per line (`\` continues it); a `#` comment is prose, except "double-quoted" text in it,
//                 which is quoted output; an indented comment line right under a command goes on with its
//                 comment.
//   blocks with `$ ` lines (a transcript): each `$ command` is followed by the lines it prints, in order; `...`
//                 inside a line stands for any text, and numbers below 1e-9 (rounding error) match any such number.
//   other blocks (text, diagrams, cmake): no commands. A line there that looks like one (`tint ...`, `scripts/x`,
//                 `bench/x`, `apt-get`, `VAR=value cmd`) must be a synopsis with a placeholder (`[`, or an upper-case
//                 word such as FILE), else it is reported: it would otherwise slip through untested.
#pragma once

#include <string>
#include <vector>

namespace tint::test {

struct DocCommand {
  std::string page;                 // "README.md", "docs/analysis.md"
  int line = 0;                     // where the command starts (1-based)
  int block = 0;                    // which code block of the page
  std::string text;                 // as written, continuations joined, comment removed
  std::vector<std::string> output;  // transcript: the lines it prints; sh block: the comment's quoted fragments
  bool transcript = false;
  std::string where() const { return page + ":" + std::to_string(line); }
};

struct DocScan {
  std::vector<DocCommand> commands;
  std::vector<std::string> unmarked;  // "page:line: text" of command-like lines outside sh blocks and transcripts
};

DocScan scan_markdown(const std::string& page, const std::string& markdown);

// `command` split into words as /bin/sh would (quotes and backslashes; no expansions).
std::vector<std::string> shell_words(const std::string& command);

// Whether `actual` (whitespace runs collapsed, ends trimmed) matches `pattern` (the same; `...` matches any text;
// a number below 1e-9 in scientific notation, rounding error in the pages' double precision experiments, matches any
// other such number).
bool line_matches(const std::string& pattern, const std::string& actual);

}  // namespace tint::test
