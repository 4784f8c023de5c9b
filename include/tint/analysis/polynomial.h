// Exact multivariate polynomials recovered from integer evaluations: `tint summary --symbolic` finds the totals as
// polynomials in NIC, NF, NC and k by counting real networks at a grid of integer settings and interpolating —
// nothing is typed in — then checks the result at settings outside the grid.
//
// Interpolation on the tensor grid {a_v, a_v+1, ..., a_v+degree} of every variable recovers any polynomial whose
// degree in each variable is at most `degree`, exactly (rational arithmetic); the extra check points catch a count
// that is not such a polynomial.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tint::analysis {

// A reduced fraction; arithmetic throws tint::Error on 64-bit overflow rather than wrap.
struct Rational {
  int64_t num = 0, den = 1;
  Rational() = default;
  Rational(int64_t n, int64_t d = 1);
  Rational operator+(const Rational& o) const;
  Rational operator-(const Rational& o) const;
  Rational operator*(const Rational& o) const;
  Rational operator/(const Rational& o) const;
  bool operator==(const Rational& o) const { return num == o.num && den == o.den; }
  bool operator!=(const Rational& o) const { return !(*this == o); }
  bool is_zero() const { return num == 0; }
  std::string to_string() const;  // "3", "-1/2"
};

class Polynomial {
 public:
  explicit Polynomial(std::vector<std::string> variables = {});

  const std::vector<std::string>& variables() const { return variables_; }
  // exponents (one per variable) -> non-zero coefficient
  const std::map<std::vector<int>, Rational>& terms() const { return terms_; }
  void add_term(const std::vector<int>& exponents, const Rational& c);
  Rational coefficient(const std::vector<int>& exponents) const;

  Rational evaluate(const std::vector<int64_t>& values) const;
  // Fixes one variable to a value; the variable stays in the list (with exponent 0 everywhere).
  Polynomial substitute(size_t variable, int64_t value) const;

  // "k^2*(NIC*NF + 4*NF^2) + 1792*NF": highest total degree first; with `group_by` (a variable index), terms that
  // share a power of that variable are gathered behind it.
  std::string to_string(int group_by = -1) const;

 private:
  std::vector<std::string> variables_;
  std::map<std::vector<int>, Rational> terms_;
};

// Interpolates f on the grid first[v] .. first[v] + degree for every variable, then checks f at `checks`.
// Throws tint::Error when a check point disagrees (f is not a polynomial of that degree).
Polynomial fit_polynomial(const std::vector<std::string>& variables, const std::vector<int64_t>& first, int degree,
                          const std::function<int64_t(const std::vector<int64_t>&)>& f,
                          const std::vector<std::vector<int64_t>>& checks);

}  // namespace tint::analysis
