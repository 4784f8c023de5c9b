// Polynomial recovery: exact coefficients (rational ones too) from integer samples, printing, and the check that
// rejects a function of higher degree.
#include <gtest/gtest.h>

#include "tint/analysis/polynomial.h"
#include "tint/core/error.h"

namespace tint::analysis {
namespace {

TEST(Polynomial, RecoversKnownCoefficients) {
  // f = x^2 y/2 - 3 x z + 7 z^3 - 5 (a half coefficient: f is integer-valued only where x^2 y is even).
  auto f = [](const std::vector<int64_t>& v) {
    const int64_t x = v[0], y = v[1], z = v[2];
    return (x * x * y) / 2 - 3 * x * z + 7 * z * z * z - 5;
  };
  // Sample only where x^2 y is even: y in {2, 4, 6, 8}.
  auto g = [&](const std::vector<int64_t>& v) { return f({v[0], 2 * v[1], v[2]}); };
  const auto p = fit_polynomial({"x", "y", "z"}, {1, 1, 1}, 3, g, {{9, 5, 4}, {2, 11, 7}});
  EXPECT_EQ(p.coefficient({2, 1, 0}), Rational(1));  // (x^2 (2y)) / 2 = x^2 y
  EXPECT_EQ(p.coefficient({1, 0, 1}), Rational(-3));
  EXPECT_EQ(p.coefficient({0, 0, 3}), Rational(7));
  EXPECT_EQ(p.coefficient({0, 0, 0}), Rational(-5));
  EXPECT_EQ(p.terms().size(), 4u);
  EXPECT_EQ(p.to_string(), "x^2*y + 7*z^3 - 3*x*z - 5");
  EXPECT_EQ(p.to_string(2), "7*z^3 - 3*z*x + x^2*y - 5");
}

TEST(Polynomial, RationalCoefficientsStayExact) {
  // n (n + 1) / 2 = n^2/2 + n/2.
  const auto p = fit_polynomial({"n"}, {1}, 3, [](const auto& v) { return v[0] * (v[0] + 1) / 2; }, {{100}});
  EXPECT_EQ(p.coefficient({2}), Rational(1, 2));
  EXPECT_EQ(p.coefficient({1}), Rational(1, 2));
  EXPECT_EQ(p.to_string(), "1/2*n^2 + 1/2*n");
}

TEST(Polynomial, GroupsByOneVariable) {
  Polynomial p({"NF", "k"});
  p.add_term({2, 2}, Rational(4));
  p.add_term({1, 2}, Rational(1));
  p.add_term({1, 0}, Rational(1792));
  EXPECT_EQ(p.to_string(1), "k^2*(4*NF^2 + NF) + 1792*NF");
  EXPECT_EQ(p.substitute(1, 3).to_string(), "36*NF^2 + 1801*NF");
  p.add_term({1, 0}, Rational(-1792));  // cancelling removes the term
  EXPECT_EQ(p.terms().size(), 2u);
}

TEST(Polynomial, RejectsWhatIsNotAPolynomialOfThatDegree) {
  EXPECT_THROW(fit_polynomial({"x"}, {1}, 3, [](const auto& v) { return int64_t(1) << v[0]; }, {{10}}), Error);
  EXPECT_THROW(fit_polynomial({"x"}, {1}, 2, [](const auto& v) { return v[0] * v[0] * v[0]; }, {{6}}), Error);
}

}  // namespace
}  // namespace tint::analysis
