#include "tint/core/markup_escape.h"

#include <gtest/gtest.h>

namespace tint {
namespace {

TEST(MarkupEscape, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(escape_markup("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(escape_markup("plain text, 1.5%"), "plain text, 1.5%");
  EXPECT_EQ(escape_markup("&amp;"), "&amp;amp;");  // already-escaped text is escaped again: files hold text, not HTML
}

}  // namespace
}  // namespace tint
