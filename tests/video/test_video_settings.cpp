// The video settings table (--crf, --preset): every row accepts its valid examples and refuses its invalid ones
// with a message that starts with the flag, and its defaults are in range.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "tint/core/error.h"
#include "tint/video/video_settings.h"

namespace tint {
namespace {

TEST(VideoSettings, RowsAcceptTheirRangeAndRefuseTheRestNamingTheFlag) {
  const auto& table = video::video_write_settings();
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].flag, "crf");
  EXPECT_EQ(table[1].flag, "preset");
  for (const auto& row : table) {
    video::VideoWriteOptions options;
    row.check(options);  // the defaults are valid
    for (const auto& text : row.valid_examples) {
      EXPECT_EQ(test::error_of([&] { row.parse(options, text); }), "<no error>") << row.flag << " " << text;
      EXPECT_EQ(row.show(options), text);
    }
    for (const auto& text : row.invalid_examples) {
      const std::string message = test::error_of([&] { row.parse(options, text); });
      EXPECT_NE(message, "<no error>") << row.flag << " '" << text << "'";
      EXPECT_EQ(message.rfind("--" + row.flag, 0), 0u) << row.flag << " '" << text << "': " << message;
    }
  }
  video::VideoWriteOptions options;
  EXPECT_EQ(options.crf, 17);
  EXPECT_EQ(options.preset, "medium");
}

}  // namespace
}  // namespace tint
