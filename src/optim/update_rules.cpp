// Optimizer update rules written from their formulas (see update_rules.h).
#include "tint/optim/update_rules.h"

#include <cctype>
#include <cmath>

#include <fmt/core.h>
#include <torch/torch.h>

#include "tint/core/error.h"

namespace tint::optim {

std::string method_name(Method method) {
  switch (method) {
    case Method::GD:
      return "GD";
    case Method::SGD:
      return "SGD";
    case Method::RMSProp:
      return "RMSProp";
    case Method::Adam:
      return "Adam";
    case Method::Adagrad:
      return "Adagrad";
  }
  return "?";
}

const std::vector<Method>& all_methods() {
  static const std::vector<Method> methods{Method::GD, Method::SGD, Method::RMSProp, Method::Adam, Method::Adagrad};
  return methods;
}

std::optional<Method> parse_method(const std::string& name) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (Method m : all_methods()) {
    if (lower(method_name(m)) == lower(name)) return m;
  }
  return std::nullopt;
}

void validate(const RuleOptions& o, const std::string& lr_flag) {
  auto fail = [](const std::string& flag, const std::string& range, double value) {
    throw Error(fmt::format("{} must be {}, got {}", flag, range, value));
  };
  if (!(o.lr > 0.0) || !std::isfinite(o.lr)) fail(lr_flag, "a positive number", o.lr);
  if (!(o.beta >= 0.0 && o.beta < 1.0)) fail("--beta", "in [0, 1)", o.beta);
  if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) fail("--beta1", "in [0, 1)", o.beta1);
  if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) fail("--beta2", "in [0, 1)", o.beta2);
  if (!(o.epsilon >= 0.0) || !std::isfinite(o.epsilon)) fail("--epsilon", "non-negative", o.epsilon);
  if (!(o.decay >= 0.0 && o.decay < 1.0)) fail("--decay", "in [0, 1)", o.decay);
}

UpdateRule::UpdateRule(Method method, const RuleOptions& options) : method_(method), options_(options) {}

void UpdateRule::step(torch::Tensor& w, const torch::Tensor& g) {
  TORCH_CHECK(w.sizes() == g.sizes(), "UpdateRule::step: w ", w.sizes(), " and g ", g.sizes(), " differ in shape");
  const auto& o = options_;
  ++k_;
  if (!v_.defined()) {
    v_ = torch::zeros_like(w);  // v_{-1} = 0, as in the source
    m_ = torch::zeros_like(w);
  }
  torch::Tensor direction;  // (d) the step before the learning rate
  switch (method_) {
    case Method::GD:
    case Method::SGD:
      direction = g;
      break;
    case Method::RMSProp:
      v_ = o.beta * v_ + (1.0 - o.beta) * g * g;
      direction = g / (v_.sqrt() + o.epsilon);
      break;
    case Method::Adam: {
      m_ = o.beta1 * m_ + (1.0 - o.beta1) * g;
      v_ = o.beta2 * v_ + (1.0 - o.beta2) * g * g;
      const double k = static_cast<double>(k_);
      auto m_hat = m_ / (1.0 - std::pow(o.beta1, k));
      auto v_hat = v_ / (1.0 - std::pow(o.beta2, k));
      direction = m_hat / (v_hat.sqrt() + o.epsilon);
      break;
    }
    case Method::Adagrad:
      v_ = v_ + g * g;
      direction = g / (v_.sqrt() + o.epsilon);
      break;
  }
  // Equation (5): the decay multiplies the weights the gradient was taken at, independently of the step.
  w = (o.decay > 0.0 ? (1.0 - o.decay) * w : w) - o.lr * direction;
}

}  // namespace tint::optim
