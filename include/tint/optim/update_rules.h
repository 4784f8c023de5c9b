// The optimizers of sections 1 and 2 of the source, written out from their formulas on a single weight vector, so
// that each line of the maths is visible (torch::optim is used only by the tests, as an independent reference):
//   GD / SGD  w <- w - lr g                                      (SGD differs only in g: a mini-batch gradient)
//   RMSProp   v <- beta v + (1 - beta) g^2;  w <- w - lr g / (sqrt(v) + eps)                  (equations 3-4)
//   Adam      m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
//             w <- w - lr m^ / (sqrt(v^) + eps),  m^ = m / (1 - b1^k), v^ = v / (1 - b2^k)
//   Adagrad   G <- G + g^2;  w <- w - lr g / (sqrt(G) + eps)
// Optionally with decoupled weight decay, equation (5): w <- (1 - decay) w - lr * step(g), the decay applied to the
// weights before the step (AdamW's form). Squares, roots and divisions are elementwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace tint::optim {

enum class Method { GD, SGD, RMSProp, Adam, Adagrad };

// "GD", "SGD", "RMSProp", "Adam", "Adagrad"; parse_method accepts these in any case (nullopt otherwise).
std::string method_name(Method method);
std::optional<Method> parse_method(const std::string& name);
const std::vector<Method>& all_methods();

struct RuleOptions {
  double lr = 0.01;
  double beta = 0.9;      // RMSProp's decay of the squared-gradient average
  double beta1 = 0.9;     // Adam's first-moment decay
  double beta2 = 0.999;   // Adam's second-moment decay
  double epsilon = 1e-8;  // added to the root in RMSProp, Adam and Adagrad
  double decay = 0.0;     // decoupled weight decay per step (lambda of equation 5); 0 = none
};

// Throws tint::Error naming the flag (--lr, --beta, --beta1, --beta2, --epsilon, --decay) of a value out of range;
// `lr_flag` names the learning-rate flag where a CLI has one per method (e.g. "--lr-adam").
void validate(const RuleOptions& options, const std::string& lr_flag = "--lr");

// One optimizer's state for a weight vector of size d; step() applies one update in place.
class UpdateRule {
 public:
  UpdateRule(Method method, const RuleOptions& options);

  // w (d) <- update(w, g (d)); g is the gradient at the current w.
  void step(torch::Tensor& w, const torch::Tensor& g);

  Method method() const { return method_; }
  const RuleOptions& options() const { return options_; }
  int64_t steps() const { return k_; }

 private:
  Method method_;
  RuleOptions options_;
  int64_t k_ = 0;    // updates taken so far
  torch::Tensor m_;  // (d) Adam's first moment
  torch::Tensor v_;  // (d) RMSProp/Adam second moment, Adagrad's running sum of g^2
};

}  // namespace tint::optim
