// Small-matrix convolution from its definition, and filter recognition by template and by symmetry.
#include "tint/analysis/filters.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::analysis {

Matrix parse_matrix(const std::string& text, const std::string& flag) {
  Matrix m;
  std::string row_text;
  std::vector<std::string> rows;
  for (char ch : text + ";") {
    if (ch == ';' || ch == '\n') {
      if (row_text.find_first_not_of(" \t\r,") != std::string::npos) rows.push_back(row_text);
      row_text.clear();
    } else {
      row_text += ch == ',' ? ' ' : ch;
    }
  }
  if (rows.empty()) throw Error(flag + " is empty: give rows separated by ';', e.g. \"0 1 0; 1 -4 1; 0 1 0\"");
  for (size_t r = 0; r < rows.size(); ++r) {
    std::istringstream in(rows[r]);
    std::string token;
    int64_t count = 0;
    while (in >> token) {
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(token, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != token.size() || !std::isfinite(v))
        throw Error(fmt::format("{}: row {} has '{}', which is not a number", flag, r + 1, token));
      m.values.push_back(v);
      ++count;
    }
    if (r == 0) m.cols = count;
    if (count != m.cols)
      throw Error(fmt::format("{}: row {} has {} entries but row 1 has {}; every row needs the same number", flag,
                              r + 1, count, m.cols));
  }
  m.rows = static_cast<int64_t>(rows.size());
  if (m.rows * m.cols > 1'000'000) throw Error(flag + " is too large (over a million entries)");
  return m;
}

int same_before(int64_t k) { return static_cast<int>((k - 1) / 2); }

Matrix convolve(const Matrix& input, const Matrix& filter, ConvMode mode, ConvPadding padding) {
  const int64_t kr = filter.rows, kc = filter.cols;
  Matrix out;
  int64_t br = 0, bc = 0;  // zeros before the first row / column
  if (padding == ConvPadding::Same) {
    out.rows = input.rows;
    out.cols = input.cols;
    br = same_before(kr);
    bc = same_before(kc);
  } else {
    out.rows = input.rows - kr + 1;
    out.cols = input.cols - kc + 1;
    if (out.rows < 1 || out.cols < 1)
      throw Error(fmt::format("--filter ({}x{}) is larger than --input ({}x{}): 'valid' padding leaves no output", kr,
                              kc, input.rows, input.cols));
  }
  out.values.assign(static_cast<size_t>(out.rows * out.cols), 0.0);
  for (int64_t i = 0; i < out.rows; ++i)
    for (int64_t j = 0; j < out.cols; ++j) {
      double sum = 0;
      for (int64_t u = 0; u < kr; ++u)
        for (int64_t v = 0; v < kc; ++v) {
          const int64_t r = i + u - br, c = j + v - bc;
          if (r < 0 || r >= input.rows || c < 0 || c >= input.cols) continue;  // a zero of the padding
          const double w = mode == ConvMode::Correlation ? filter.at(u, v) : filter.at(kr - 1 - u, kc - 1 - v);
          sum += input.at(r, c) * w;
        }
      out.at(i, j) = sum;
    }
  return out;
}

namespace {

double max_abs(const Matrix& m) {
  double a = 0;
  for (double v : m.values) a = std::max(a, std::abs(v));
  return a;
}

// The scale s with f = s * t (0 when there is none); t is a template of the same size.
double scale_of(const Matrix& f, const Matrix& t) {
  if (f.rows != t.rows || f.cols != t.cols) return 0;
  double ft = 0, tt = 0;
  for (size_t i = 0; i < f.values.size(); ++i) {
    ft += f.values[i] * t.values[i];
    tt += t.values[i] * t.values[i];
  }
  if (tt == 0 || ft == 0) return 0;
  const double s = ft / tt, tol = 1e-9 * std::max(1.0, max_abs(f));
  for (size_t i = 0; i < f.values.size(); ++i)
    if (std::abs(f.values[i] - s * t.values[i]) > tol) return 0;
  return s;
}

Matrix from_rows(const std::vector<std::vector<double>>& rows) {
  Matrix m;
  m.rows = static_cast<int64_t>(rows.size());
  m.cols = static_cast<int64_t>(rows.front().size());
  for (const auto& r : rows) m.values.insert(m.values.end(), r.begin(), r.end());
  return m;
}

Matrix rotate90(const Matrix& m) {  // clockwise
  Matrix t;
  t.rows = m.cols;
  t.cols = m.rows;
  t.values.resize(m.values.size());
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) t.at(c, m.rows - 1 - r) = m.at(r, c);
  return t;
}

// f(r, c) == sign * f(mirror(r, c)) for every entry, with the mirror given as a function of (r, c).
template <typename Mirror>
bool mirrored(const Matrix& f, double sign, Mirror mirror) {
  const double tol = 1e-9 * std::max(1.0, max_abs(f));
  for (int64_t r = 0; r < f.rows; ++r)
    for (int64_t c = 0; c < f.cols; ++c) {
      const auto [mr, mc] = mirror(r, c);
      if (std::abs(f.at(r, c) - sign * f.at(mr, mc)) > tol) return false;
    }
  return true;
}

}  // namespace

FilterName name_filter(const Matrix& f) {
  if (f.values.empty()) return {"", "an empty filter"};
  const double tol = 1e-9 * std::max(1.0, max_abs(f));
  double sum = 0, lowest = f.values.front(), highest = f.values.front();
  for (double v : f.values) {
    sum += v;
    lowest = std::min(lowest, v);
    highest = std::max(highest, v);
  }
  const bool odd = f.rows % 2 == 1 && f.cols % 2 == 1;
  const double centre = odd ? f.at(f.rows / 2, f.cols / 2) : 0;
  double others_max = -INFINITY, others_min = INFINITY;  // entries other than the centre
  for (int64_t r = 0; r < f.rows; ++r)
    for (int64_t c = 0; c < f.cols; ++c) {
      if (odd && r == f.rows / 2 && c == f.cols / 2) continue;
      others_max = std::max(others_max, f.at(r, c));
      others_min = std::min(others_min, f.at(r, c));
    }
  const bool single = f.values.size() == 1;
  if (max_abs(f) == 0) return {"zero filter", "every weight is 0, so every output is 0"};

  // Named 3x3 filters, recognised up to a positive scale (and up to sign where the sign only flips the response).
  struct Known {
    const char* name;
    Matrix m;
    bool any_sign;
    const char* reason;
  };
  const std::vector<Known> known{
      {"Sobel (vertical edges)", from_rows({{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}), true,
       "a left-right difference smoothed 1-2-1 down the columns: it responds where intensity changes from left to "
       "right, i.e. along vertical edges"},
      {"Sobel (horizontal edges)", from_rows({{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}), true,
       "a top-bottom difference smoothed 1-2-1 along the rows: it responds where intensity changes from top to "
       "bottom, i.e. along horizontal edges"},
      {"Prewitt (vertical edges)", from_rows({{-1, 0, 1}, {-1, 0, 1}, {-1, 0, 1}}), true,
       "a left-right difference averaged over three rows: it responds along vertical edges"},
      {"Prewitt (horizontal edges)", from_rows({{-1, -1, -1}, {0, 0, 0}, {1, 1, 1}}), true,
       "a top-bottom difference averaged over three columns: it responds along horizontal edges"},
      {"Scharr (vertical edges)", from_rows({{-3, 0, 3}, {-10, 0, 10}, {-3, 0, 3}}), true,
       "a left-right difference with 3-10-3 smoothing: it responds along vertical edges"},
      {"Scharr (horizontal edges)", from_rows({{-3, -10, -3}, {0, 0, 0}, {3, 10, 3}}), true,
       "a top-bottom difference with 3-10-3 smoothing: it responds along horizontal edges"},
      {"Gaussian blur", from_rows({{1, 2, 1}, {2, 4, 2}, {1, 2, 1}}), false,
       "binomial weights peaking at the centre: a weighted local average that smooths noise and detail"},
  };
  for (const auto& k : known) {
    const double s = scale_of(f, k.m);
    if (s > 0 || (k.any_sign && s < 0)) return {k.name, k.reason};
  }
  Matrix emboss = from_rows({{-2, -1, 0}, {-1, 1, 1}, {0, 1, 2}});
  for (int turn = 0; turn < 4; ++turn, emboss = rotate90(emboss))
    if (scale_of(f, emboss) > 0)
      return {"emboss",
              "a diagonal difference on top of the pixel itself: edges along the other diagonal stand out "
              "as raised or sunken, flat regions keep their value"};

  if (odd && !single && std::abs(centre) > tol && std::abs(others_max) <= tol && std::abs(others_min) <= tol)
    return {"identity", centre == 1
                            ? "a single 1 at the centre: the output copies the input"
                            : fmt::format("a single weight at the centre: the output is the input times {:g}", centre)};
  if (single) return {"identity", fmt::format("a 1x1 filter: the output is the input times {:g}", f.values[0])};
  if (lowest >= 0 && highest - lowest <= tol)
    return {"box blur", "every weight is equal and positive: each output is a (scaled) average of its neighbourhood"};
  const bool symmetric = mirrored(f, 1,
                                  [&](int64_t r, int64_t c) {
                                    return std::pair{f.rows - 1 - r, c};
                                  }) &&
                         mirrored(f, 1, [&](int64_t r, int64_t c) {
                           return std::pair{r, f.cols - 1 - c};
                         });
  if (odd && std::abs(sum) <= tol && centre > 0 && others_max <= tol)
    return {"edge detector (Laplacian)",
            "the weights sum to 0, so flat regions give 0, and the centre is weighed against its neighbours, so the "
            "output is large where intensity changes in any direction (edges, corners, isolated points)"};
  if (odd && std::abs(sum) <= tol && centre < 0 && others_min >= -tol)
    return {"edge detector (Laplacian, negated)",
            "the weights sum to 0, so flat regions give 0, and the neighbours are weighed against the centre, so the "
            "output is large where intensity changes in any direction"};
  if (odd && sum > tol && centre > 0 && others_max <= tol && others_min < -tol)
    return {"sharpen",
            fmt::format("a positive centre against negative neighbours with weights summing to {:g}: the pixel plus "
                        "a Laplacian, so flat regions keep their value{} while differences (edges) are amplified",
                        sum, std::abs(sum - 1) <= tol ? "" : " (times the sum)")};
  if (lowest >= 0 && symmetric)
    return {"blur", "non-negative, mirror-symmetric weights: a weighted local average that smooths the input"};
  if (std::abs(sum) <= tol) {
    if (mirrored(f, -1, [&](int64_t r, int64_t c) { return std::pair{r, f.cols - 1 - c}; }))
      return {"edge detector (vertical edges)",
              "the left and right halves have opposite weights: a horizontal derivative, large along vertical edges"};
    if (mirrored(f, -1, [&](int64_t r, int64_t c) { return std::pair{f.rows - 1 - r, c}; }))
      return {"edge detector (horizontal edges)",
              "the top and bottom halves have opposite weights: a vertical derivative, large along horizontal edges"};
    if (f.rows == f.cols && mirrored(f, -1, [](int64_t r, int64_t c) { return std::pair{c, r}; }))
      return {"edge detector (diagonal edges)",
              "the two sides of the main diagonal have opposite weights: a diagonal derivative"};
    return {"edge / high-pass filter", "the weights sum to 0, so flat regions give 0 and only changes respond"};
  }
  if (lowest >= 0) return {"smoothing filter", "non-negative weights: a weighted local average (low-pass)"};
  return {"", fmt::format("not a standard filter: weights sum to {:g}, range {:g}..{:g}", sum, lowest, highest)};
}

std::string format_matrix(const Matrix& m) {
  std::vector<std::string> cells;
  size_t width = 1;
  for (double v : m.values) {
    cells.push_back(fmt::format("{:g}", v == 0 ? 0.0 : v));  // never "-0"
    width = std::max(width, cells.back().size());
  }
  std::string out;
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t c = 0; c < m.cols; ++c)
      out += fmt::format("{}{:>{}}", c == 0 ? "" : " ", cells[static_cast<size_t>(r * m.cols + c)], width);
    out += "\n";
  }
  return out;
}

}  // namespace tint::analysis
