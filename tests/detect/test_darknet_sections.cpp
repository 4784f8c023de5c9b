// The dispatch from a cfg section to the parse function of its type (src/detect/darknet_sections.cpp): a type
// without one is an error naming the file, the section's line and the type, and the types the model builds are the
// ones parse_cfg accepts. (The parse functions themselves: tests/detect/test_darknet_model.cpp.)
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/detect/darknet_cfg.h"
#include "tint/detect/darknet_model.h"

namespace tint::detect {
namespace darknet_sections_test {
namespace {

// The list after "expected one of " in an error message.
std::string listed_types(const std::string& error) {
  const std::string marker = "expected one of ";
  const auto at = error.find(marker);
  return at == std::string::npos ? "" : error.substr(at + marker.size());
}

TEST(DarknetSections, ATypeWithoutAParseFunctionNamesFileLineAndType) {
  // parse_cfg refuses an unknown type first; a DarknetCfg built or edited by hand reaches the model's dispatch.
  DarknetCfg cfg = parse_cfg("[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\n", "hand.cfg");
  cfg.layer(0).type = "deconvolutional";
  const auto e = test::error_of([&] { DarknetModel m(cfg); });
  EXPECT_EQ(e.rfind("hand.cfg:6: layer 0 [deconvolutional]: unsupported section type [deconvolutional]: expected one "
                    "of [convolutional], [",
                    0),
            0u)
      << e;
}

TEST(DarknetSections, TheModelBuildsEveryTypeParseCfgAccepts) {
  const auto cfg_error = test::error_of([] { parse_cfg("[net]\nwidth=8\n[deconvolutional]\n", "a.cfg"); });
  DarknetCfg cfg = parse_cfg("[net]\nwidth=8\nheight=8\nchannels=3\n[dropout]\n", "b.cfg");
  cfg.layer(0).type = "deconvolutional";
  const auto model_error = test::error_of([&] { DarknetModel m(cfg); });
  ASSERT_NE(listed_types(cfg_error), "") << cfg_error;
  EXPECT_EQ(listed_types(model_error), listed_types(cfg_error)) << model_error << "\n" << cfg_error;
}

}  // namespace
}  // namespace darknet_sections_test
}  // namespace tint::detect
