// A small CSV table: named columns, numeric or text cells, saved atomically. Every plot reads its data from one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tint::report {

class Table {
 public:
  explicit Table(std::vector<std::string> columns);

  void add_row(const std::vector<double>& values);    // formatted with 10 significant digits
  void add_text_row(std::vector<std::string> cells);  // cells written as given (quoted if needed)
  const std::vector<std::string>& columns() const { return columns_; }
  size_t rows() const { return rows_.size(); }
  std::string to_csv() const;
  void save(const std::filesystem::path& path) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// RFC 4180 CSV text (what Table::save writes): fields may be quoted, with "" for a quote inside; rows end with \n or
// \r\n. The rows as written, header first.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace tint::report
