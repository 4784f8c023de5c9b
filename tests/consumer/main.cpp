// Uses the installed library: labels a tiny image with a two-colour palette and checks the answer.
#include <cstdio>

#include <tint/core/runtime.h>
#include <tint/data/palette.h>
#include <torch/torch.h>

int main() {
  tint::data::Palette palette(torch::tensor({{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}}));
  auto image = torch::tensor({0.1f, 0.9f}).view({1, 1, 1, 2}).expand({1, 3, 1, 2});  // dark pixel, light pixel
  auto ids = palette.label(image);
  const bool ok = ids[0][0][0].item<int64_t>() == 0 && ids[0][0][1].item<int64_t>() == 1;
  std::printf("tint %s consumer: %s\n", tint::version(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
