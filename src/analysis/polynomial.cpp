// Exact rational arithmetic, polynomial printing, and tensor-grid interpolation.
#include "tint/analysis/polynomial.h"

#include <algorithm>
#include <numeric>

#include <fmt/core.h>

#include "tint/core/error.h"

namespace tint::analysis {

namespace {

int64_t narrow(__int128 v) {
  if (v > INT64_MAX || v < -INT64_MAX) throw Error("polynomial arithmetic overflowed 64 bits");
  return static_cast<int64_t>(v);
}

Rational make(__int128 num, __int128 den) {
  if (den == 0) throw Error("division by zero in polynomial arithmetic");
  if (den < 0) num = -num, den = -den;
  __int128 a = num < 0 ? -num : num, b = den;
  while (b != 0) {
    const __int128 t = a % b;
    a = b;
    b = t;
  }
  if (a > 1) num /= a, den /= a;
  Rational r;
  r.num = narrow(num);
  r.den = narrow(den);
  return r;
}

}  // namespace

Rational::Rational(int64_t n, int64_t d) { *this = make(n, d); }
Rational Rational::operator+(const Rational& o) const {
  return make(static_cast<__int128>(num) * o.den + static_cast<__int128>(o.num) * den,
              static_cast<__int128>(den) * o.den);
}
Rational Rational::operator-(const Rational& o) const { return *this + Rational(-o.num, o.den); }
Rational Rational::operator*(const Rational& o) const {
  return make(static_cast<__int128>(num) * o.num, static_cast<__int128>(den) * o.den);
}
Rational Rational::operator/(const Rational& o) const {
  return make(static_cast<__int128>(num) * o.den, static_cast<__int128>(den) * o.num);
}
std::string Rational::to_string() const { return den == 1 ? std::to_string(num) : fmt::format("{}/{}", num, den); }

Polynomial::Polynomial(std::vector<std::string> variables) : variables_(std::move(variables)) {}

void Polynomial::add_term(const std::vector<int>& exponents, const Rational& c) {
  if (exponents.size() != variables_.size()) throw Error("polynomial term has the wrong number of exponents");
  const Rational sum = coefficient(exponents) + c;
  if (sum.is_zero()) {
    terms_.erase(exponents);
  } else {
    terms_[exponents] = sum;
  }
}

Rational Polynomial::coefficient(const std::vector<int>& exponents) const {
  auto it = terms_.find(exponents);
  return it == terms_.end() ? Rational(0) : it->second;
}

Rational Polynomial::evaluate(const std::vector<int64_t>& values) const {
  if (values.size() != variables_.size()) throw Error("polynomial evaluated with the wrong number of values");
  Rational total(0);
  for (const auto& [exponents, c] : terms_) {
    Rational term = c;
    for (size_t v = 0; v < values.size(); ++v)
      for (int e = 0; e < exponents[v]; ++e) term = term * Rational(values[v]);
    total = total + term;
  }
  return total;
}

Polynomial Polynomial::substitute(size_t variable, int64_t value) const {
  Polynomial out(variables_);
  for (const auto& [exponents, c] : terms_) {
    Rational term = c;
    for (int e = 0; e < exponents[variable]; ++e) term = term * Rational(value);
    auto fixed = exponents;
    fixed[variable] = 0;
    out.add_term(fixed, term);
  }
  return out;
}

namespace {

std::string monomial(const std::vector<std::string>& names, const std::vector<int>& exponents) {
  std::string s;
  for (size_t v = 0; v < names.size(); ++v) {
    if (exponents[v] == 0) continue;
    if (!s.empty()) s += "*";
    s += names[v];
    if (exponents[v] > 1) s += "^" + std::to_string(exponents[v]);
  }
  return s;
}

// Terms in print order: highest total degree first, then by exponents in variable order.
std::vector<std::pair<std::vector<int>, Rational>> ordered(const std::map<std::vector<int>, Rational>& terms) {
  std::vector<std::pair<std::vector<int>, Rational>> out(terms.begin(), terms.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const int da = std::accumulate(a.first.begin(), a.first.end(), 0);
    const int db = std::accumulate(b.first.begin(), b.first.end(), 0);
    if (da != db) return da > db;
    return a.first > b.first;
  });
  return out;
}

// Joins signed pieces: "a + b - c".
std::string join_signed(const std::vector<std::pair<bool, std::string>>& pieces) {
  if (pieces.empty()) return "0";
  std::string s;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const bool negative = pieces[i].first;
    if (i == 0) {
      s += negative ? "-" : "";
    } else {
      s += negative ? " - " : " + ";
    }
    s += pieces[i].second;
  }
  return s;
}

std::pair<bool, std::string> term_text(const std::vector<std::string>& names, const std::vector<int>& exponents,
                                       const Rational& c, const std::string& prefix = "") {
  const bool negative = c.num < 0;
  const Rational magnitude(negative ? -c.num : c.num, c.den);
  std::string body = prefix;
  const std::string m = monomial(names, exponents);
  if (!m.empty()) body += (body.empty() ? "" : "*") + m;
  if (body.empty()) return {negative, magnitude.to_string()};
  if (magnitude == Rational(1)) return {negative, body};
  return {negative, magnitude.to_string() + "*" + body};
}

}  // namespace

std::string Polynomial::to_string(int group_by) const {
  std::vector<std::pair<bool, std::string>> pieces;
  if (group_by < 0 || group_by >= static_cast<int>(variables_.size())) {
    for (const auto& [e, c] : ordered(terms_)) pieces.push_back(term_text(variables_, e, c));
    return join_signed(pieces);
  }
  // Gather terms by their power of the grouping variable, highest first.
  std::map<int, std::map<std::vector<int>, Rational>, std::greater<int>> groups;
  for (const auto& [e, c] : terms_) {
    auto rest = e;
    rest[group_by] = 0;
    groups[e[group_by]][rest] = c;
  }
  for (const auto& [power, group] : groups) {
    std::string factor;
    if (power > 0) factor = variables_[group_by] + (power > 1 ? "^" + std::to_string(power) : "");
    if (power == 0 || group.size() == 1) {
      for (const auto& [e, c] : ordered(group)) pieces.push_back(term_text(variables_, e, c, factor));
      continue;
    }
    std::vector<std::pair<bool, std::string>> inner;
    for (const auto& [e, c] : ordered(group)) inner.push_back(term_text(variables_, e, c));
    pieces.push_back({false, factor + "*(" + join_signed(inner) + ")"});
  }
  return join_signed(pieces);
}

namespace {

// The inverse of the Vandermonde matrix V[j][p] = x_j^p on nodes x_j = first + j: maps values at the nodes to
// monomial coefficients.
std::vector<std::vector<Rational>> inverse_vandermonde(int64_t first, int degree) {
  const int n = degree + 1;
  std::vector<std::vector<Rational>> a(n, std::vector<Rational>(2 * n));
  for (int j = 0; j < n; ++j) {
    Rational x(first + j), power(1);
    for (int p = 0; p < n; ++p) {
      a[j][p] = power;
      power = power * x;
    }
    a[j][n + j] = Rational(1);
  }
  for (int col = 0; col < n; ++col) {  // Gauss-Jordan; distinct nodes make every pivot non-zero
    int pivot = col;
    while (a[pivot][col].is_zero()) ++pivot;
    std::swap(a[pivot], a[col]);
    const Rational inv = Rational(1) / a[col][col];
    for (auto& v : a[col]) v = v * inv;
    for (int r = 0; r < n; ++r) {
      if (r == col || a[r][col].is_zero()) continue;
      const Rational factor = a[r][col];
      for (int c = 0; c < 2 * n; ++c) a[r][c] = a[r][c] - factor * a[col][c];
    }
  }
  std::vector<std::vector<Rational>> inv(n, std::vector<Rational>(n));
  for (int j = 0; j < n; ++j)
    for (int p = 0; p < n; ++p) inv[p][j] = a[p][n + j];  // [V | I] reduced to [I | V^-1]
  return inv;
}

}  // namespace

Polynomial fit_polynomial(const std::vector<std::string>& variables, const std::vector<int64_t>& first, int degree,
                          const std::function<int64_t(const std::vector<int64_t>&)>& f,
                          const std::vector<std::vector<int64_t>>& checks) {
  const size_t nv = variables.size();
  if (first.size() != nv || degree < 0) throw Error("fit_polynomial: one first node per variable is needed");
  const int n = degree + 1;
  size_t cells = 1;
  for (size_t v = 0; v < nv; ++v) cells *= n;
  // values[index], index = sum_v j_v * n^v for node j_v of variable v
  std::vector<Rational> grid(cells);
  std::vector<int64_t> point(nv);
  for (size_t index = 0; index < cells; ++index) {
    size_t rest = index;
    for (size_t v = 0; v < nv; ++v, rest /= n) point[v] = first[v] + static_cast<int64_t>(rest % n);
    grid[index] = Rational(f(point));
  }
  // Turn values into coefficients one axis at a time (the tensor-product Vandermonde inverse is separable).
  size_t stride = 1;
  for (size_t v = 0; v < nv; ++v, stride *= n) {
    const auto inv = inverse_vandermonde(first[v], degree);
    for (size_t base = 0; base < cells; ++base) {
      if ((base / stride) % n != 0) continue;  // one line along axis v per base with j_v = 0
      std::vector<Rational> line(n);
      for (int j = 0; j < n; ++j) line[j] = grid[base + j * stride];
      for (int p = 0; p < n; ++p) {
        Rational c(0);
        for (int j = 0; j < n; ++j) c = c + inv[p][j] * line[j];
        grid[base + p * stride] = c;
      }
    }
  }
  Polynomial poly(variables);
  std::vector<int> exponents(nv);
  for (size_t index = 0; index < cells; ++index) {
    size_t rest = index;
    for (size_t v = 0; v < nv; ++v, rest /= n) exponents[v] = static_cast<int>(rest % n);
    if (!grid[index].is_zero()) poly.add_term(exponents, grid[index]);
  }
  for (const auto& check : checks) {
    const Rational expected(f(check));
    if (poly.evaluate(check) != expected)
      throw Error(
          fmt::format("the count is not a polynomial of degree <= {} in each variable: the fit gives {} but "
                      "the network gives {} at a check point",
                      degree, poly.evaluate(check).to_string(), expected.to_string()));
  }
  return poly;
}

}  // namespace tint::analysis
