// Text placed inside HTML or XML markup (the HTML report's pages, VOC XML annotations): the five characters that
// could end a text node or an attribute value written as their character references.
#pragma once

#include <string>
#include <string_view>

namespace tint {

// & < > " ' -> &amp; &lt; &gt; &quot; &#39; (the numeric reference for ', which both HTML 4 and XML read; HTML 4 has
// no &apos;).
std::string escape_markup(std::string_view text);

}  // namespace tint
