#include "readme/doc_commands.h"

#include <cmath>
#include <regex>
#include <sstream>

namespace tint::test {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string collapse_spaces(const std::string& s) {
  std::string out;
  for (char c : trim(s)) {
    if ((c == ' ' || c == '\t') && !out.empty() && out.back() == ' ') continue;
    out += c == '\t' ? ' ' : c;
  }
  return out;
}

// Position of the `#` that starts a comment (at the start, or after a blank, outside quotes), or npos.
size_t comment_start(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"')
        ++i;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\') {
      ++i;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string::npos;
}

bool ends_with_backslash(const std::string& s) {
  const std::string t = trim(s);
  return !t.empty() && t.back() == '\\';
}

struct Line {
  int number;
  std::string text;
};

// Joins lines ending in `\` with the next (as the shell does), keeping the first line's number.
std::vector<Line> join_continuations(const std::vector<Line>& lines) {
  std::vector<Line> out;
  bool continued = false;
  for (const auto& l : lines) {
    std::string text = l.text;
    const bool continues = ends_with_backslash(text);
    if (continues) text = trim(text).substr(0, trim(text).size() - 1);
    if (continued)
      out.back().text += " " + trim(text);
    else
      out.push_back({l.number, text});
    continued = continues;
  }
  return out;
}

void scan_sh_block(const std::string& page, int block, const std::vector<Line>& lines, DocScan& scan) {
  static const std::regex quoted("\"([^\"]+)\"");
  DocCommand* last = nullptr;  // an indented comment line right under a command goes on with its comment
  for (const auto& l : join_continuations(lines)) {
    const size_t hash = comment_start(l.text);
    const std::string code = collapse_spaces(l.text.substr(0, hash));
    if (code.empty() && (hash == std::string::npos || hash == 0)) {  // a blank line, or a comment of its own
      last = nullptr;
      continue;
    }
    if (!code.empty()) {
      scan.commands.push_back({page, l.number, block, code, {}, false});
      last = &scan.commands.back();
    }
    if (hash == std::string::npos || last == nullptr) continue;
    const std::string comment = l.text.substr(hash);
    for (std::sregex_iterator m(comment.begin(), comment.end(), quoted), end; m != end; ++m)
      last->output.push_back((*m)[1]);
  }
}

void scan_transcript(const std::string& page, int block, const std::vector<Line>& lines, DocScan& scan) {
  std::vector<Line> command_lines;  // the `$` line and its continuations
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string text = trim(lines[i].text);
    if (text.rfind("$ ", 0) == 0) {
      std::vector<Line> command{{lines[i].number, text.substr(2)}};
      while (ends_with_backslash(command.back().text) && i + 1 < lines.size()) command.push_back(lines[++i]);
      DocCommand c;
      c.page = page;
      c.line = command.front().number;
      c.block = block;
      c.transcript = true;
      c.text = collapse_spaces(join_continuations(command).front().text);
      scan.commands.push_back(c);
    } else if (!text.empty() && !scan.commands.empty() && scan.commands.back().block == block) {
      scan.commands.back().output.push_back(text);
    }
  }
}

// A line that would run something if typed: `tint ...`, a script of the repository, a package tool, or a command
// behind VAR=value settings.
bool looks_like_command(const std::string& line) {
  static const std::regex command(
      R"(^([A-Za-z_][A-Za-z0-9_]*=\S*\s+\S|(tint|apt-get|apt|sudo|cmake|ctest|python3|make)(\s|$)|(scripts|bench|build[^/\s]*|fuzz)/[^/\s]+|\./))");
  return std::regex_search(line, command);
}

// A synopsis names its parts: `[optional]` flags, or an upper-case placeholder such as FILE, "ROWS" or RUN_DIR....
bool is_synopsis(const std::string& line) {
  if (line.find('[') != std::string::npos) return true;
  static const std::regex placeholder(R"((^|[\s"])[A-Z][A-Z_]*("|\.\.\.|,)?(\s|$))");
  return std::regex_search(line, placeholder);
}

void scan_text_block(const std::string& page, const std::vector<Line>& lines, DocScan& scan) {
  for (const auto& l : lines) {
    const std::string text = trim(l.text);
    if (looks_like_command(text) && !is_synopsis(text))
      scan.unmarked.push_back(page + ":" + std::to_string(l.number) + ": " + text);
  }
}

}  // namespace

DocScan scan_markdown(const std::string& page, const std::string& markdown) {
  static const std::regex fence(R"(^(\s*)(```|~~~)\s*([A-Za-z0-9_+-]*)\s*$)");
  DocScan scan;
  std::istringstream in(markdown);
  std::string raw;
  int number = 0, block = 0;
  bool inside = false;
  std::string info, indent;
  std::vector<Line> lines;
  while (std::getline(in, raw)) {
    ++number;
    std::smatch m;
    if (!std::regex_match(raw, m, fence)) {
      // Inside a block, drop the fence's indentation (a block inside a list item).
      if (inside) lines.push_back({number, raw.rfind(indent, 0) == 0 ? raw.substr(indent.size()) : raw});
      continue;
    }
    if (!inside) {
      inside = true;
      indent = m[1];
      info = m[3];
      lines.clear();
      continue;
    }
    inside = false;
    ++block;
    bool has_prompt = false;
    for (const auto& l : lines) has_prompt = has_prompt || trim(l.text).rfind("$ ", 0) == 0;
    if (info == "sh" || info == "bash" || info == "shell")
      scan_sh_block(page, block, lines, scan);
    else if (has_prompt)
      scan_transcript(page, block, lines, scan);
    else
      scan_text_block(page, lines, scan);
  }
  return scan;
}

std::vector<std::string> shell_words(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < command.size())
        word += command[++i];
      else
        word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      word += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

namespace {

// `line` with every number in scientific notation whose size is below 1e-9 replaced by "<1e-9>": in the double
// precision experiments the pages quote, such values are rounding error, whose digits vary with the CPU's kernels.
std::string rounding_as_placeholder(const std::string& line) {
  static const std::regex scientific(R"([-+]?[0-9]+(\.[0-9]+)?e[-+][0-9]+)");
  std::string out;
  auto from = line.cbegin();
  for (std::sregex_iterator m(line.begin(), line.end(), scientific), end; m != end; ++m) {
    out.append(from, (*m)[0].first);
    out += std::abs(std::stod(m->str())) < 1e-9 ? "<1e-9>" : m->str();
    from = (*m)[0].second;
  }
  return out.append(from, line.cend());
}

}  // namespace

bool line_matches(const std::string& pattern, const std::string& actual) {
  const std::string p = rounding_as_placeholder(collapse_spaces(pattern));
  const std::string a = rounding_as_placeholder(collapse_spaces(actual));
  std::vector<std::string> pieces;
  for (size_t from = 0;;) {
    const size_t dots = p.find("...", from);
    pieces.push_back(trim(p.substr(from, dots - from)));
    if (dots == std::string::npos) break;
    from = dots + 3;
  }
  if (pieces.size() == 1) return a == pieces[0];
  if (a.rfind(pieces.front(), 0) != 0) return false;
  size_t at = pieces.front().size();
  for (size_t i = 1; i + 1 < pieces.size(); ++i) {
    at = a.find(pieces[i], at);
    if (at == std::string::npos) return false;
    at += pieces[i].size();
  }
  const std::string& last = pieces.back();
  return a.size() >= at + last.size() && a.compare(a.size() - last.size(), last.size(), last) == 0;
}

}  // namespace tint::test
